"""The console entry points: a user's mistake ends in one sentence, never a traceback.

uv run --package video-train pytest packages/video-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from video_train import cli
from wb_common import find_run_dirs


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["video-train", "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        cli.train_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-train: UCF-101 서브셋을 내려받지 못했습니다 — ")  # Korean first
    assert "the UCF-101 subset could not be downloaded" in err
    assert "--smoke" in err and "Traceback" not in err


def test_bad_flag_value_is_one_sentence(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["video-train", "--smoke", "--num-frames", "1"])
    with pytest.raises(SystemExit):
        cli.train_main()
    assert "num_frames must be at least 2" in capsys.readouterr().err


def test_resume_with_nothing_to_resume_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["video-train", "--smoke", "--resume", "--output-dir", str(tmp_path / "empty")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        cli.train_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-train: 이어서 학습할 체크포인트가 없습니다 — ")  # Korean first
    assert "start without --resume" in err and "Traceback" not in err
    assert find_run_dirs(offline_wandb) == []


def test_sweep_bad_base_config_is_one_sentence(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["video-sweep", "--smoke", "--count", "1", "--config.lr", "0",
            "--config.output-dir", str(tmp_path / "out")]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        cli.sweep_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-sweep: ") and "lr must be a positive number" in err
    assert find_run_dirs(offline_wandb) == []  # caught before the first trial
