"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/gen-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys

from gen_train.config import Config, smoke_config
from gen_train.train import train
from wb_testing.interrupt import kill_after_checkpoint_then_resume

STEPS, EVERY = 8, 4  # checkpoint and sample every 4 steps: killed at 4, resumed to 8


def test_killed_run_resumes_with_every_step_once(offline_wandb, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = smoke_config(
        Config(output_dir=out, train_steps=STEPS, checkpoint_every=EVERY, sample_every=EVERY)
    )
    command = [
        sys.executable, "-m", "gen_train.cli", "--smoke", "--train-steps", str(STEPS),
        "--checkpoint-every", str(EVERY), "--sample-every", str(EVERY), "--output-dir", str(out),
    ]  # fmt: skip
    run = kill_after_checkpoint_then_resume(
        command,
        checkpoint=out / "checkpoint.pt",
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_wandb,
    )
    # Every optimizer step exactly once, at its own step; the dataset and its preview once.
    lost = run.assert_nothing_lost(
        step_key="train/step",
        steps=range(STEPS + 1),
        dataset=cfg.dataset_name,
        once=["dataset/samples"],
    )
    assert [r["_step"] for r in run.history if "train/loss" in r] == list(range(1, STEPS + 1))
    assert [r["_step"] for r in run.history if "val/loss" in r] == [0, 4, 8]
    lost_before_checkpoint = [step for step in lost if step <= EVERY]
    out_text = capsys.readouterr().out
    expected = f"resume: {len(lost_before_checkpoint)} of {EVERY + 1} logged steps"
    assert (expected in out_text) == bool(lost_before_checkpoint)
