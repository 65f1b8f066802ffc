"""The console entry points: a user's mistake ends in one sentence, never a traceback.

uv run --package video-train pytest packages/video-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from video_train import cli
from video_train.config import Config
from video_train.sweep import SWEEP_CONFIG
from wb_common.sweep import check_sweep_config


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["video-train", "--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        cli.train_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("video-train: the UCF-101 subset could not be downloaded")
    assert "--smoke" in err and "Traceback" not in err


def test_bad_flag_value_is_one_sentence(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["video-train", "--smoke", "--num-frames", "1"])
    with pytest.raises(SystemExit):
        cli.train_main()
    assert "num_frames must be at least 2" in capsys.readouterr().err


def test_sweep_config_sweeps_the_roadmap_fields_of_config():
    check_sweep_config(SWEEP_CONFIG, [f for f in Config.__dataclass_fields__])
    assert set(SWEEP_CONFIG["parameters"]) == {"num_frames", "lr", "clip_duration"}
