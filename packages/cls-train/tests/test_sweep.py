"""`cls-sweep` offline: three trials on W&B's own sweep engine, and the queued report.

uv run --package cls-train pytest packages/cls-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from cls_train.config import Config, smoke_config
from cls_train.sweep import SWEEP_CONFIG, report_spec_for, sweep
from wb_common import find_run_dirs, read_run
from wb_common.artifacts import noted_model
from wb_common.pending import pending_actions


def test_offline_sweep_runs_three_trials_and_queues_the_report(offline_wandb, tmp_path):
    base = dataclasses.replace(
        smoke_config(Config(output_dir=tmp_path / "out")), epochs=1, max_train_samples=128
    )
    result = sweep(base, count=3)

    assert len(result.trials) == 3
    lr_space = SWEEP_CONFIG["parameters"]["lr"]
    runs = [read_run(d) for d in find_run_dirs(offline_wandb)]
    assert len(runs) == 3 and len({r.run_id for r in runs}) == 3
    for run in runs:
        assert run.group == result.group
        assert lr_space["min"] <= run.config["lr"] <= lr_space["max"]
        assert run.config["batch_size"] in (32, 64, 128)
        assert run.config["optimizer"] in ("adam", "sgd", "adamw")
        assert run.metric("epoch")[-1] == 1  # one epoch per trial
    report = [a for a in pending_actions(result.best.run_dir) if a["action"] == "report"]
    assert len(report) == 1
    assert report[0]["spec"]["group"] == result.group
    assert report[0]["spec"]["metric"] == "val/acc"


def test_smoke_sweep_queues_one_link_for_the_best_trial_only(offline_wandb, tmp_path):
    """Registry hygiene: no trial links its model; after the sweep exactly one link is queued,
    for the best trial, into `cifar10-classifier-smoke` (never the real collection)."""
    base = dataclasses.replace(
        smoke_config(Config(output_dir=tmp_path / "out")), epochs=1, max_train_samples=128
    )
    result = sweep(base, count=2)

    links = {
        str(d): [a for a in pending_actions(d) if a["action"] == "link"]
        for d in find_run_dirs(offline_wandb)
    }
    assert sum(len(v) for v in links.values()) == 1
    (link,) = links[str(result.best.run_dir)]
    assert link["target"] == "wandb-registry-model/cifar10-classifier-smoke"
    assert link["aliases"] == ["sweep-best", "staging"]  # offline CLI: no staging model to beat
    assert link["run_path"].endswith(read_run(result.best.run_dir).run_id)
    assert result.link == "queued"
    for trial in result.trials:  # every trial noted its model, and its run says where it would go
        assert noted_model(trial.run_dir)["artifact"] == "resnet18-synthetic-cifar10"
        assert read_run(trial.run_dir).config["registry_target"] == link["target"]
    (report,) = [a for a in pending_actions(result.best.run_dir) if a["action"] == "report"]
    assert report["spec"] == report_spec_for(result.group, SWEEP_CONFIG, 2)
    assert report["spec"]["x_axis"] == "epoch"
