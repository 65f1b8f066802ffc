"""Bad input ends in one clear sentence (Korean, then English), before anything is recorded.

uv run --package seg-train pytest packages/seg-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from seg_train.cli import sweep_main, train_main
from wb_testing.fixtures import assert_second_run_refused, plant_run


def run_cli(monkeypatch, main, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["seg-train", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


def test_cli_ends_with_one_sentence_when_the_dataset_is_missing(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    code = run_cli(monkeypatch, train_main, "--data-dir", str(tmp_path / "data"))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "seg-train: Oxford-IIIT Pet을 내려받지 못했습니다 — Oxford-IIIT Pet could not be downloaded"
    )
    assert "--smoke" in err and "\n" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--img-size", "16"],
            "seg-train: img_size은(는) 32 이상이어야 합니다 — "
            "img_size must be at least 32, got 16.\n",
        ),
        (
            ["--img-size", "100000"],
            "seg-train: img_size은(는) 2048 이하여야 합니다 — "
            "img_size must be at most 2048, got 100000.\n",
        ),
        (
            ["--resume"],
            "seg-train: 이어서 학습할 체크포인트가 없습니다 — nothing to resume: no checkpoint.pt",
        ),
    ],
)
def test_user_errors_are_one_sentence_before_any_download(
    offline_wandb, monkeypatch, capsys, args, message
):
    data_dir = offline_wandb.parent / "data"
    out = offline_wandb.parent / "out"
    code = run_cli(
        monkeypatch, train_main, "--data-dir", str(data_dir), "--output-dir", str(out), *args
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not data_dir.exists()  # no Oxford-IIIT Pet download was started
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created


def test_sweep_refuses_a_bad_base_config(offline_wandb, monkeypatch, capsys):
    code = run_cli(monkeypatch, sweep_main, "--smoke", "--config.lr", "0", "--count", "1")
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("seg-sweep: lr은(는) 양수여야 합니다 — lr must be a")
    assert not (offline_wandb / "wandb").exists()


def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    offline_wandb, monkeypatch, capsys
):
    """Another run's checkpoint in --output-dir: one sentence naming --resume and --overwrite,
    before any work; every file of the old run keeps its bytes."""
    out = offline_wandb.parent / "out"
    before = plant_run(out, "checkpoint.pt", "model.pth")
    code = run_cli(monkeypatch, train_main, "--smoke", "--output-dir", str(out))
    assert code == 2
    assert_second_run_refused(capsys.readouterr().err, out, before)
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created
