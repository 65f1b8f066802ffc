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
from wb_testing.interrupt import kill_after_checkpoint_then_resume


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
    lost = run.assert_nothing_lost(
        step_key="epoch", steps=[1, 2], dataset=cfg.dataset_name, once=["dataset/samples"]
    )
    # Ours and Ultralytics' numbers, each epoch once, at the epoch's step.
    assert [r["_step"] for r in run.history if "val/mAP50" in r] == [1, 2]
    assert len(run.metric("train/box_loss")) == 2
    # An epoch the kill lost is logged again from Ultralytics' results.csv, and said so.
    assert ("resume: 1 of 1 logged steps" in capsys.readouterr().out) == (1 in lost)
