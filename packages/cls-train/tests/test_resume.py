"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/cls-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys

from cls_train.config import Config, smoke_config
from cls_train.train import train
from wb_common.interrupt import kill_after_checkpoint_then_resume


def test_killed_run_resumes_with_every_epoch_once(offline_wandb, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = smoke_config(Config(output_dir=out, max_train_samples=256))  # 2 epochs
    command = [
        sys.executable, "-m", "cls_train.cli", "--smoke", "--max-train-samples", "256",
        "--output-dir", str(out),
    ]  # fmt: skip
    run = kill_after_checkpoint_then_resume(
        command,
        checkpoint=out / "checkpoint.pt",
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_wandb,
    )
    # One run in two files, every epoch once, the dataset and its sample table logged once.
    lost = run.assert_nothing_lost(
        step_key="epoch", steps=[1, 2], dataset=cfg.dataset_name, once=["dataset/samples"]
    )
    assert len(run.metric("val/acc")) == len(run.metric("train/loss")) == 2
    assert [row["_step"] for row in run.history if "epoch" in row] == [1, 2]  # step = epoch
    # What the kill lost from the first file is logged again, and the resume says so.
    note = "[wb-demo] resume: 1 of 1 logged steps" in capsys.readouterr().out
    assert note == bool(lost)
