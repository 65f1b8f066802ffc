"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/cls-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import signal
import sys

import pytest
import torch
from cls_train.config import Config, smoke_config
from cls_train.train import train
from wb_testing.interrupt import interrupt_after_checkpoint, kill_after_checkpoint_then_resume


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
    note = "resume: 1 of 1 logged steps" in capsys.readouterr().out
    assert note == bool(lost)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_mid_epoch_ends_with_the_resume_command(
    offline_wandb, tmp_path, signum, code
):
    """A real `cls-train` process, stopped mid-epoch 2 (Ctrl-C to its process group, or SIGTERM
    to it alone): one sentence with this run's `--resume` command, no traceback, and the epoch-1
    checkpoint still loads."""
    out = tmp_path / "out"
    args = ["--smoke", "--epochs", "4", "--max-train-samples", "256", "--output-dir", str(out)]
    exit_code, output = interrupt_after_checkpoint(
        [sys.executable, "-m", "cls_train.cli", *args],
        checkpoint=out / "checkpoint.pt",
        signum=signum,
        log_path=tmp_path / "interrupted.log",
    )
    assert exit_code == code, output[-3000:]
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    assert f"`cls-train {' '.join(args)} --resume`" in output.strip().splitlines()[-1]
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["epoch"] >= 1 and state["model"]
