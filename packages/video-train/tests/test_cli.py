"""The console entry points: a user's mistake ends in one sentence, never a traceback.

What every train CLI shares is tested once (wb-common's test_entry.py, tests/test_cli_help.py);
here, video-train's own rules.

uv run --package video-train pytest packages/video-train/tests/test_cli.py
"""

from __future__ import annotations

from video_train import cli
from wb_common import find_run_dirs
from wb_testing.fixtures import refused


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    argv = ["--data-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path)]
    err = refused(monkeypatch, capsys, cli.train_main, *argv)
    assert err.startswith("video-train: UCF-101 서브셋을 내려받지 못했습니다 — ")  # Korean first
    assert "the UCF-101 subset could not be downloaded" in err and "--smoke" in err


def test_bad_flag_value_is_one_sentence(tmp_path, monkeypatch, capsys):
    argv = ["--smoke", "--num-frames", "1", "--output-dir", str(tmp_path / "o")]
    assert "num_frames must be at least 2" in refused(monkeypatch, capsys, cli.train_main, *argv)


def test_an_image_size_beyond_the_bound_is_one_sentence(tmp_path, monkeypatch, capsys):
    argv = ["--img-size", "100000", "--output-dir", str(tmp_path / "o")]
    assert refused(monkeypatch, capsys, cli.train_main, *argv) == (
        "video-train: img_size은(는) 448 이하여야 합니다 — img_size must be at most 448, "
        "got 100000.\n"
    )
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_resume_with_nothing_to_resume_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["--smoke", "--resume", "--output-dir", str(tmp_path / "empty")]
    err = refused(monkeypatch, capsys, cli.train_main, *argv)
    assert err.startswith("video-train: 이어서 학습할 체크포인트가 없습니다 — ")  # Korean first
    assert "start without --resume" in err
    assert find_run_dirs(offline_wandb) == []
