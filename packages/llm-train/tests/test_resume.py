"""`kill -9` after the first checkpoint, then `--resume`: the W&B record loses nothing.

uv run --all-packages pytest packages/llm-train/tests/test_resume.py -x -q
"""

from __future__ import annotations

import dataclasses
import json
import sys

from llm_train.config import Config, smoke_config
from llm_train.train import train
from wb_testing.interrupt import kill_after_checkpoint_then_resume

# 16 pairs at batch 8: 2 optimizer steps an epoch, 2 epochs; a checkpoint every 2 steps.
FLAGS = {
    "max_train_samples": 16,
    "eval_samples": 4,
    "save_steps": 2,
    "eval_steps": 2,
    "logging_steps": 1,
    "max_new_tokens": 4,
}


def test_killed_run_resumes_with_every_step_once(offline_hub, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = smoke_config(Config(output_dir=out, sample_prompts=("안녕?",), **FLAGS))
    command = [sys.executable, "-m", "llm_train.cli", "--smoke", "--output-dir", str(out)]
    command += ["--sample-prompts", "안녕?"]
    for name, value in FLAGS.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    checkpoints = out / "checkpoints"
    run = kill_after_checkpoint_then_resume(
        command,
        checkpoint=lambda: any(checkpoints.glob("checkpoint-*/trainer_state.json")),
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_hub,
    )
    # Every row the Trainer logged (its log_history, both processes) is in W&B exactly once, at
    # step=global_step; the dataset artifact and its preview once.
    lost = run.assert_nothing_lost(
        step_key="train/global_step",
        steps=range(5),
        dataset=cfg.dataset_name,
        once=["dataset/samples"],
    )
    final = max(checkpoints.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    log_history = json.loads((final / "trainer_state.json").read_text())["log_history"]
    loss_steps = [e["step"] for e in log_history if "loss" in e]
    eval_steps = [e["step"] for e in log_history if "eval_loss" in e]
    assert loss_steps == [1, 2, 3, 4] and eval_steps == [0, 2, 4]
    assert [r["_step"] for r in run.history if "train/loss" in r] == loss_steps
    assert [r["_step"] for r in run.history if "eval/loss" in r] == eval_steps
    assert [r["_step"] for r in run.history if "eval/perplexity" in r] == eval_steps
    assert all(r["train/global_step"] == r["_step"] for r in run.history if "train/loss" in r)
    lost_before_checkpoint = [step for step in lost if step <= 2]
    assert ("were logged again" in capsys.readouterr().out) == bool(lost_before_checkpoint)
