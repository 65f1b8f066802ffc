"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/video-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys

from video_train.config import Config, smoke_config
from video_train.train import train
from wb_testing.interrupt import kill_after_checkpoint_then_resume

SMALL = 32  # max_train_samples: the smallest run that still has a few steps an epoch


def test_killed_run_resumes_with_every_epoch_once(offline_wandb, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = smoke_config(Config(output_dir=out, max_train_samples=SMALL))  # 2 epochs
    command = [
        sys.executable, "-m", "video_train.cli", "--smoke", "--max-train-samples", str(SMALL),
        "--output-dir", str(out),
    ]  # fmt: skip
    run = kill_after_checkpoint_then_resume(
        command,
        checkpoint=out / "checkpoint.pt",
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_wandb,
    )
    lost = run.assert_nothing_lost(
        step_key="epoch", steps=[1, 2], dataset=cfg.dataset_name, once=["dataset/samples"]
    )
    assert len(run.metric("val/acc")) == len(run.metric("train/loss")) == 2
    assert [row["_step"] for row in run.history if "epoch" in row] == [1, 2]
    # An epoch the kill lost is logged again from the checkpoint's history, and said so.
    assert ("resume: 1 of 1 logged steps" in capsys.readouterr().out) == (1 in lost)
