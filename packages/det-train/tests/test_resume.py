"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/det-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from det_train.config import Config, smoke_config
from det_train.train import train
from wb_common.interrupt import kill_after_checkpoint_then_resume


def written(path: Path):
    """Ultralytics writes last.pt in one go: ready once it exists and its size holds still."""

    def ready() -> bool:
        if not path.is_file():
            return False
        size = path.stat().st_size
        time.sleep(0.3)
        return size > 0 and path.stat().st_size == size

    return ready


def test_killed_run_resumes_with_every_epoch_once(offline_wandb, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = smoke_config(Config(output_dir=out, data_dir=tmp_path / "data", epochs=2))
    command = [
        sys.executable, "-m", "det_train.cli", "--smoke", "--epochs", "2",
        "--output-dir", str(out), "--data-dir", str(tmp_path / "data"),
    ]  # fmt: skip
    run = kill_after_checkpoint_then_resume(
        command,
        checkpoint=written(out / "train" / "weights" / "last.pt"),
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_wandb,
    )
    killed, _ = run.files
    assert len(run.run_ids) == 1  # one run, continued in a second file
    assert run.steps == sorted(set(run.steps))  # strictly increasing across both files
    assert run.metric("epoch") == [1, 2]  # every epoch exactly once, at its own step
    assert [r["_step"] for r in run.history if "val/mAP50" in r] == [1, 2]
    assert len(run.metric("train/box_loss")) == 2
    artifacts = [a.name for f in run.files for a in f.artifacts]
    assert artifacts.count(cfg.dataset_name) == 1
    assert sum("dataset/samples._type" in row for row in run.history) == 1
    lost = 1 not in killed.metric("epoch")
    assert ("[wb-demo] resume: 1 of 1 logged steps" in capsys.readouterr().out) == lost
