"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/video-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys

from video_train.config import Config, smoke_config
from video_train.train import train
from wb_common.interrupt import kill_after_checkpoint_then_resume

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
    killed, _ = run.files
    assert len(run.run_ids) == 1  # one run, continued in a second file
    assert run.steps == sorted(set(run.steps))  # strictly increasing across both files
    assert run.metric("epoch") == [1, 2]  # every epoch exactly once, at its own step
    assert len(run.metric("val/acc")) == len(run.metric("train/loss")) == 2
    assert [row["_step"] for row in run.history if "epoch" in row] == [1, 2]
    # What the kill lost from the first file is logged again, and only that.
    artifacts = [a.name for f in run.files for a in f.artifacts]
    assert artifacts.count(cfg.dataset_name) == 1
    assert sum("dataset/samples._type" in row for row in run.history) == 1
    lost = 1 not in killed.metric("epoch")
    assert ("[wb-demo] resume: 1 of 1 logged steps" in capsys.readouterr().out) == lost
