"""The console entry points: a user's mistake ends in one sentence, never a traceback.

What every train CLI shares is tested once (wb-common's test_entry.py, tests/test_cli_help.py,
which also plants det-train's own checkpoint, Ultralytics' last.pt); here, det-train's own rules.

uv run --all-packages pytest packages/det-train/tests/test_cli.py -x -q
"""

from __future__ import annotations

from det_train import cli
from wb_common import find_run_dirs
from wb_testing.fixtures import refused


def test_offline_without_smoke_says_to_use_smoke(offline_wandb, tmp_path, monkeypatch, capsys):
    err = refused(monkeypatch, capsys, cli.train_main, "--data-dir", str(tmp_path / "datasets"))
    assert err.startswith("det-train: COCO128을 내려받지 못했습니다 — ")  # Korean first
    assert "COCO128 could not be downloaded" in err and "--smoke" in err


def test_resume_with_nothing_to_resume_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    argv = ["--smoke", "--resume", "--output-dir", str(tmp_path / "empty")]
    err = refused(monkeypatch, capsys, cli.train_main, *argv)
    assert err.startswith("det-train: ") and "start without --resume" in err
    assert find_run_dirs(offline_wandb) == []


def test_sweep_parameter_ultralytics_ignores_is_one_sentence(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    out = str(tmp_path / "out")
    argv = ["--smoke", "--count", "1", "--config.optimizer", "auto", "--config.output-dir", out]
    err = refused(monkeypatch, capsys, cli.sweep_main, *argv)
    assert err.startswith("det-sweep: ") and "optimizer 'auto' ignores lr0" in err
    assert find_run_dirs(offline_wandb) == []  # caught before the first trial


def test_an_image_size_beyond_the_bound_is_one_sentence(tmp_path, monkeypatch, capsys):
    argv = ["--smoke", "--imgsz", "100000", "--output-dir", str(tmp_path / "o")]
    assert refused(monkeypatch, capsys, cli.train_main, *argv) == (
        "det-train: imgsz은(는) 1280 이하여야 합니다 — imgsz must be at most 1280, got 100000.\n"
    )
    assert not (tmp_path / "o").exists()  # refused before anything was written
