"""The console entry points: a user's mistake ends in one sentence, never a traceback.

uv run --package video-train pytest packages/video-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from video_train import cli
from wb_common import find_run_dirs
from wb_testing.fixtures import assert_second_run_refused, plant_run


def run_cli(monkeypatch, main, *argv: str) -> int:
    """Run an entry point with `argv` (program name first); the exit code it ends with."""
    monkeypatch.setattr(sys, "argv", list(argv))
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["video-train", "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path)]
    assert run_cli(monkeypatch, cli.train_main, *argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-train: UCF-101 서브셋을 내려받지 못했습니다 — ")  # Korean first
    assert "the UCF-101 subset could not be downloaded" in err
    assert "--smoke" in err and "Traceback" not in err


def test_bad_flag_value_is_one_sentence(monkeypatch, capsys):
    run_cli(monkeypatch, cli.train_main, "video-train", "--smoke", "--num-frames", "1")
    assert "num_frames must be at least 2" in capsys.readouterr().err


def test_an_image_size_beyond_the_bound_is_one_sentence(tmp_path, monkeypatch, capsys):
    argv = ["video-train", "--img-size", "100000", "--output-dir", str(tmp_path / "o")]
    assert run_cli(monkeypatch, cli.train_main, *argv) == 2
    assert capsys.readouterr().err == (
        "video-train: img_size은(는) 448 이하여야 합니다 — img_size must be at most 448, "
        "got 100000.\n"
    )
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_resume_with_nothing_to_resume_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["video-train", "--smoke", "--resume", "--output-dir", str(tmp_path / "empty")]
    assert run_cli(monkeypatch, cli.train_main, *argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-train: 이어서 학습할 체크포인트가 없습니다 — ")  # Korean first
    assert "start without --resume" in err and "Traceback" not in err
    assert find_run_dirs(offline_wandb) == []


def test_sweep_bad_base_config_is_one_sentence(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["video-sweep", "--smoke", "--count", "1", "--config.lr", "0",
            "--config.output-dir", str(tmp_path / "out")]  # fmt: skip
    assert run_cli(monkeypatch, cli.sweep_main, *argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-sweep: ") and "lr must be a positive number" in err
    assert find_run_dirs(offline_wandb) == []  # caught before the first trial


def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    offline_wandb, monkeypatch, capsys
):
    """Another run's checkpoint in --output-dir: one sentence naming --resume and --overwrite,
    before any work; every file of the old run keeps its bytes."""
    out = offline_wandb.parent / "out"
    before = plant_run(out, "checkpoint.pt", "model.pth")
    code = run_cli(monkeypatch, cli.train_main, "video-train", "--smoke", "--output-dir", str(out))
    assert code == 2
    assert_second_run_refused(capsys.readouterr().err, out, before)
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created
