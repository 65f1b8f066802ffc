"""`gen-sweep` offline: two trials on W&B's own sweep engine, and the queued report.

uv run --package gen-train pytest packages/gen-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from gen_train.config import Config, smoke_config
from gen_train.sweep import (
    SMOKE_TRAIN_STEPS,
    SWEEP,
    SWEEP_CONFIG,
    report_spec_for,
    sweep,
    sweep_config_for,
)
from wb_common import find_run_dirs, read_run
from wb_common.pending import pending_actions


def test_smoke_sweep_keeps_the_planned_parameters_with_cpu_sized_steps():
    smoke = sweep_config_for(smoke_config(Config()))
    assert set(smoke["parameters"]) == set(SWEEP_CONFIG["parameters"]) == {
        "lr", "lora_rank", "train_steps",
    }  # fmt: skip
    assert smoke["parameters"]["train_steps"] == {"values": SMOKE_TRAIN_STEPS}
    assert sweep_config_for(Config()) is SWEEP_CONFIG
    assert SWEEP_CONFIG["metric"] == {"name": "val/loss", "goal": "minimize"}


def test_a_trial_samples_and_checkpoints_only_at_its_last_step(tmp_path):
    """A sweep compares final results and sampling is slow: each trial samples once, at the end."""
    seen = []
    base = Config(output_dir=tmp_path, sample_every=100, checkpoint_every=100)
    dataclasses.replace(SWEEP, train=seen.append).run_trial(
        base, {"train_steps": 200, "lr": 1e-4}, "sweep-x"
    )
    (cfg,) = seen
    assert (cfg.train_steps, cfg.sample_every, cfg.checkpoint_every) == (200, 200, 200)
    assert (
        cfg.sweep_trial and cfg.group == "sweep-x" and cfg.output_dir.parent == tmp_path / "sweep-x"
    )


def test_offline_sweep_runs_two_trials_and_queues_the_report(offline_wandb, tmp_path):
    base = dataclasses.replace(
        smoke_config(Config(output_dir=tmp_path / "out")),
        max_train_samples=32,
        final_prompts=["a red circle"],
    )
    result = sweep(base, count=2)

    assert len(result.trials) == 2
    runs = [read_run(d) for d in find_run_dirs(offline_wandb)]
    assert len(runs) == 2 and len({r.run_id for r in runs}) == 2
    for run, trial in zip(runs, result.trials, strict=True):
        assert run.group == result.group
        assert run.config["lora_rank"] in (4, 8, 16)
        assert run.config["train_steps"] in SMOKE_TRAIN_STEPS
        steps = run.config["train_steps"]
        assert run.metric("train/step")[-1] == steps
        assert trial.metrics["val/loss"] == run.metric("val/loss")[-1]
    report = [a for a in pending_actions(result.best.run_dir) if a["action"] == "report"]
    assert len(report) == 1
    assert report[0]["spec"]["group"] == result.group
    assert report[0]["spec"]["metric"] == "val/loss"
    # Registry hygiene: one link for the whole sweep, the best trial's, into the smoke collection.
    links = [
        a for d in find_run_dirs(offline_wandb) for a in pending_actions(d) if a["action"] == "link"
    ]
    assert links == [a for a in pending_actions(result.best.run_dir) if a["action"] == "link"]
    assert [a["target"] for a in links] == ["wandb-registry-model/sd15-naruto-lora-smoke"]
    # The CLI's report and the notebook's come from one function, with the task's x-axis.
    assert report[0]["spec"] == report_spec_for(
        result.group, sweep_config_for(base), len(result.trials)
    )
    assert report[0]["spec"]["x_axis"] == "train/step"
