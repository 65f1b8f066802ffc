"""`cls-sweep` offline: three trials on W&B's own sweep engine, and the queued report.

uv run --package cls-train pytest packages/cls-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from cls_train.config import Config, smoke_config
from cls_train.sweep import SWEEP_CONFIG, sweep
from wb_common import find_run_dirs, read_run
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
        assert run.metric("epoch") == [1]
    report = [a for a in pending_actions(result.best.run_dir) if a["action"] == "report"]
    assert len(report) == 1
    assert report[0]["spec"]["group"] == result.group
    assert report[0]["spec"]["metric"] == "val/acc"
