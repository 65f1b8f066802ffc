"""`video-sweep` offline: W&B's own engine suggests the trial, the Report is queued beside it.

uv run --package video-train pytest packages/video-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from video_train.config import Config, smoke_config
from video_train.sweep import SWEEP_CONFIG, report_spec_for, sweep, sweep_config_for
from wb_common import find_run_dirs, read_run
from wb_common.pending import pending_actions
from wb_common.sweep import check_sweep_config


def test_sweep_config_sweeps_the_planned_fields_of_config():
    check_sweep_config(SWEEP_CONFIG, [f for f in Config.__dataclass_fields__])
    assert set(SWEEP_CONFIG["parameters"]) == {"num_frames", "lr", "clip_duration"}
    # No smoke variant: smoke trials are CPU-sized already, so both modes sweep the same ranges.
    assert sweep_config_for(smoke_config(Config())) == sweep_config_for(Config()) == SWEEP_CONFIG


def test_one_trial_sweep_records_its_params_and_queues_the_report(offline_wandb, tmp_path):
    base = smoke_config(Config(output_dir=tmp_path / "out", data_dir=tmp_path / "data"))
    base = dataclasses.replace(
        base, epochs=1, max_train_samples=16, sample_table_size=1, val_table_size=1
    )
    result = sweep(base, count=1)

    (trial,) = result.trials
    assert set(trial.params) == set(SWEEP_CONFIG["parameters"])
    assert trial.params["num_frames"] in (8, 16)
    recorded = read_run(trial.run_dir)
    assert recorded.group == result.group
    assert recorded.config["num_frames"] == trial.params["num_frames"]
    assert recorded.config["clip_duration"] == trial.params["clip_duration"]
    assert recorded.metric("val/acc") == [trial.metrics["val/acc"]]
    assert [d.name for d in find_run_dirs(offline_wandb)] == [trial.run_dir.name]

    report = [a for a in pending_actions(trial.run_dir) if a["action"] == "report"]
    (spec,) = (a["spec"] for a in report)
    assert spec["project"] == "wandb-e2e-demo-video-classification"
    assert spec["group"] == result.group
    assert spec["params"] == ["num_frames", "clip_duration", "lr"]
    assert "val/top5_acc" in spec["line_metrics"]
    # Registry hygiene: one link for the whole sweep, the best trial's, into the smoke collection.
    links = [
        a for d in find_run_dirs(offline_wandb) for a in pending_actions(d) if a["action"] == "link"
    ]
    assert links == [a for a in pending_actions(trial.run_dir) if a["action"] == "link"]
    assert [a["target"] for a in links] == ["wandb-registry-model/ucf101-classifier-smoke"]
    # The CLI's report and the notebook's come from one function, with the task's x-axis.
    assert spec == report_spec_for(result.group, sweep_config_for(base), len(result.trials))
    assert spec["x_axis"] == "epoch"
