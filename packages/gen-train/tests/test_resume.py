"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/gen-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import sys

from gen_train.config import Config, smoke_config
from gen_train.train import train
from wb_common.interrupt import kill_after_checkpoint_then_resume

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
    killed, _ = run.files
    assert len(run.run_ids) == 1  # one run, continued in a second file
    assert run.steps == sorted(set(run.steps))  # strictly increasing across both files
    # Every optimizer step's loss exactly once, at its own step; val/loss at 0, 4 and 8.
    assert [r["_step"] for r in run.history if "train/loss" in r] == list(range(1, STEPS + 1))
    assert [r["train/step"] for r in run.history if "train/loss" in r] == list(range(1, 9))
    assert [r["_step"] for r in run.history if "val/loss" in r] == [0, 4, 8]
    artifacts = [a.name for f in run.files for a in f.artifacts]
    assert artifacts.count(cfg.dataset_name) == 1
    assert sum("dataset/samples._type" in row for row in run.history) == 1
    lost = len(set(range(EVERY + 1)) - {row["_step"] for row in killed.history})
    out_text = capsys.readouterr().out
    assert (f"[wb-demo] resume: {lost} of {EVERY + 1} logged steps" in out_text) == (lost > 0)
