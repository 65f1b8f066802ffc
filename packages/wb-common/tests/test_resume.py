"""Resume that loses nothing: rows a killed run file lost are logged again, nothing twice.

uv run --all-packages pytest packages/wb-common/tests/test_resume.py -x -q
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch
from wb_common import find_run_dirs, read_run, start_run
from wb_common.resume import (
    colab_output_dir,
    log_again_what_was_lost,
    previous_record,
    recover_history,
    scalars,
)


def test_scalars_keep_numbers_only_and_load_with_weights_only(tmp_path):
    row = {"train/loss": 0.5, "epoch": 2, "val/acc": torch.tensor(0.9).item(), "ok": True}
    row |= {"samples": object(), "name": "x", "_step": 3}
    kept = scalars(row)
    assert kept == {"train/loss": 0.5, "epoch": 2, "val/acc": pytest.approx(0.9)}
    torch.save({"history": {1: kept}}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt", weights_only=True)["history"][1] == kept


def _resume(run_id: str, history: dict[int, dict[str, float]]) -> tuple[int, object]:
    run = start_run("image-classification", {}, run_id=run_id)
    previous = previous_record(run)
    count = recover_history(run, history, previous)
    run.finish()
    return count, previous


def test_complete_previous_file_means_nothing_logged_twice(offline_wandb, capsys):
    first = start_run("image-classification", {})
    history = {}
    for epoch in (1, 2):
        row = {"train/loss": 1.0 / epoch, "epoch": epoch}
        first.log(row, step=epoch)
        history[epoch] = scalars(row)
    first.log({"dataset/samples": 1}, step=2)
    first.finish()  # Ctrl-C ends the same way: the file is flushed and complete

    count, previous = _resume(first.id, history)
    assert count == 0 and "[wb-demo] resume" not in capsys.readouterr().out
    assert previous.steps == {1, 2} and not previous.missing("dataset/samples")
    assert previous.missing("val/predictions") and previous.missing_artifact("cifar10")
    files = [read_run(d) for d in find_run_dirs(offline_wandb, first.id)]
    assert [f.metric("epoch") for f in files] == [[1, 2], []]


def test_rows_missing_from_the_previous_file_are_logged_again_at_their_steps(offline_wandb, capsys):
    first = start_run("image-classification", {})
    first.log({"train/loss": 1.0, "epoch": 1}, step=1)
    first.finish()
    # The checkpoint knew epochs 1-3; the run file holds only epoch 1 (2 and 3 were in the
    # unfilled block when the process was killed).
    history = {e: {"train/loss": 1.0 / e, "epoch": e} for e in (1, 2, 3)}
    count, _ = _resume(first.id, history)
    assert count == 2
    assert "2 of 3 logged steps" in capsys.readouterr().out
    before, after = (read_run(d) for d in find_run_dirs(offline_wandb, first.id))
    assert after.metric("epoch") == [2, 3]
    assert [row["_step"] for row in before.history + after.history] == [1, 2, 3]
    assert after.run_id == before.run_id


def test_step_zero_rows_in_the_block_come_before_the_rows_logged_again(offline_wandb, capsys):
    """A kill lost the whole first file: the samples row (step 0) logged inside the block and
    the checkpoint's epochs logged again on leaving it all land, in step order, nothing dropped."""
    first = start_run("image-classification", {})
    first.finish()  # a file that holds no row: everything sat in the unfilled block
    history = {e: {"train/loss": 1.0 / e, "epoch": e} for e in (1, 2)}
    run = start_run("image-classification", {}, run_id=first.id)
    with log_again_what_was_lost(run, history) as previous:
        assert previous.missing("dataset/samples") and previous.missing_artifact("cifar10")
        run.log({"dataset/samples": 1}, step=0)
    run.finish()
    assert "2 of 2 logged steps" in capsys.readouterr().out
    _, after = (read_run(d) for d in find_run_dirs(offline_wandb, first.id))
    assert [row["_step"] for row in after.history] == [0, 1, 2]
    assert after.metric("epoch") == [1, 2] and "dataset/samples" in after.history[0]


def test_an_exception_in_the_block_logs_nothing_again():
    logged = []
    run = types.SimpleNamespace(disabled=False, log=lambda row, step: logged.append(step))
    with pytest.raises(RuntimeError), log_again_what_was_lost(run, {1: {"epoch": 1}}):
        raise RuntimeError("dataset upload failed")
    assert logged == []


def test_a_fresh_run_has_no_previous_record(offline_wandb):
    run = start_run("image-classification", {})
    previous = previous_record(run)
    assert previous.files == [] and previous.missing("dataset/samples")
    assert recover_history(run, {}, previous) == 0
    run.finish()


def test_online_rows_the_server_already_has_are_not_logged_again():
    logged = []
    run = types.SimpleNamespace(
        disabled=False, log=lambda row, step: logged.append(step), starting_step=3
    )
    previous = previous_record(types.SimpleNamespace(starting_step=3, disabled=True))
    assert previous.starting_step == 3 and not previous.missing("dataset/samples", step=0)
    history = {e: {"epoch": e} for e in (1, 2, 3, 4)}
    assert recover_history(run, history, previous) == 2
    assert logged == [3, 4]


@pytest.fixture
def fake_colab(monkeypatch, tmp_path):
    """A stand-in for google.colab: `drive.mount` makes the mount point, as Colab's does."""
    mounted = []

    def mount(mount_point: str) -> None:
        mounted.append(mount_point)
        Path(mount_point, "MyDrive").mkdir(parents=True, exist_ok=True)

    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mount)
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.delenv("WB_DEMO_SMOKE", raising=False)
    return mounted


def test_colab_output_dir_mounts_drive_and_returns_a_folder_on_it(fake_colab, tmp_path):
    drive = tmp_path / "drive"
    path = colab_output_dir("outputs/cls-train", mount_point=str(drive))
    assert fake_colab == [str(drive)]
    assert path == drive / "MyDrive" / "wandb-e2e-demo" / "cls-train" and path.is_dir()


def test_colab_output_dir_is_off_in_smoke_mode(fake_colab, tmp_path, monkeypatch):
    drive = str(tmp_path / "drive")
    assert colab_output_dir("outputs/cls-train", smoke=True, mount_point=drive) == Path(
        "outputs/cls-train"
    )
    monkeypatch.setenv("WB_DEMO_SMOKE", "1")
    assert colab_output_dir("outputs/seg-train", mount_point=drive) == Path("outputs/seg-train")
    assert fake_colab == []


def test_colab_output_dir_outside_colab_keeps_the_default(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("WB_DEMO_SMOKE", raising=False)
    assert colab_output_dir("outputs/det-train") == Path("outputs/det-train")
