"""The console entry points: a user's mistake ends in one sentence, never a traceback.

uv run --all-packages pytest packages/det-train/tests/test_cli.py -x -q
"""

from __future__ import annotations

import sys

import pytest
from det_train import cli
from wb_common import find_run_dirs
from wb_testing.fixtures import assert_second_run_refused, plant_run


def _exit_message(capsys: pytest.CaptureFixture[str], main) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["det-train", "--data-dir", str(tmp_path / "datasets")]
    monkeypatch.setattr(sys, "argv", argv)
    message = _exit_message(capsys, cli.train_main)
    assert message.startswith("det-train: COCO128을 내려받지 못했습니다 — ")  # Korean first
    assert "COCO128 could not be downloaded" in message and "--smoke" in message


def test_resume_with_nothing_to_resume_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["det-train", "--smoke", "--resume", "--output-dir", str(tmp_path / "empty")]
    monkeypatch.setattr(sys, "argv", argv)
    message = _exit_message(capsys, cli.train_main)
    assert message.startswith("det-train: ") and "start without --resume" in message
    assert find_run_dirs(offline_wandb) == []


def test_sweep_parameter_ultralytics_ignores_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["det-sweep", "--smoke", "--count", "1", "--config.optimizer", "auto",
            "--config.output-dir", str(tmp_path / "out")]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    message = _exit_message(capsys, cli.sweep_main)
    assert message.startswith("det-sweep: ") and "optimizer 'auto' ignores lr0" in message
    assert find_run_dirs(offline_wandb) == []  # caught before the first trial


def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    """Ultralytics' last.pt of another run in --output-dir: one sentence naming --resume and
    --overwrite, before any work; every file of the old run keeps its bytes."""
    out = tmp_path / "out"
    before = plant_run(out, "train/weights/last.pt", "train/results.csv", "wandb_run.json")
    monkeypatch.setattr(sys, "argv", ["det-train", "--smoke", "--output-dir", str(out)])
    message = _exit_message(capsys, cli.train_main)
    assert message.startswith("det-train: ")
    assert_second_run_refused(message, out, before)
    assert find_run_dirs(offline_wandb) == []


def test_an_image_size_beyond_the_bound_is_one_sentence(tmp_path, monkeypatch, capsys):
    argv = ["det-train", "--smoke", "--imgsz", "100000", "--output-dir", str(tmp_path / "o")]
    monkeypatch.setattr(sys, "argv", argv)
    message = _exit_message(capsys, cli.train_main)
    assert message == (
        "det-train: imgsz은(는) 1280 이하여야 합니다 — imgsz must be at most 1280, got 100000."
    )
    assert not (tmp_path / "o").exists()  # refused before anything was written
