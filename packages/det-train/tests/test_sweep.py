"""Sweep parameters Ultralytics would reject are caught before any training; a smoke trial runs.

uv run --package det-train pytest packages/det-train/tests/test_sweep.py
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from det_train.config import Config, ConfigError, smoke_config
from det_train.sweep import (
    SMOKE_IMGSZ,
    SWEEP_CONFIG,
    check_sweep_parameters,
    report_spec_for,
    smoke_sweep_config,
    sweep,
    sweep_config_for,
)
from wb_common import find_run_dirs, read_run
from wb_common.pending import pending_actions


def _with(**parameters) -> dict:
    config = copy.deepcopy(SWEEP_CONFIG)
    config["parameters"].update(parameters)
    return config


def test_the_sweep_passes_ultralytics_checks():
    check_sweep_parameters(SWEEP_CONFIG, Config())
    assert {"lr0", "imgsz", "mosaic", "fliplr", "hsv_v"} == set(SWEEP_CONFIG["parameters"])
    smoke = smoke_sweep_config
    assert smoke["parameters"]["imgsz"] == {"values": SMOKE_IMGSZ}
    assert {k: v for k, v in smoke["parameters"].items() if k != "imgsz"} == {
        k: v for k, v in SWEEP_CONFIG["parameters"].items() if k != "imgsz"
    }
    assert smoke["metric"] == SWEEP_CONFIG["metric"]
    check_sweep_parameters(smoke, smoke_config(Config()))
    assert sweep_config_for(smoke_config(Config())) == smoke
    assert sweep_config_for(Config()) == SWEEP_CONFIG


def test_unknown_key_is_caught_before_training(offline_wandb, tmp_path):
    from ultralytics.cfg import get_cfg

    with pytest.raises(SyntaxError):  # what Ultralytics itself would do, mid-setup
        get_cfg(overrides={"lr": 0.01})
    base = smoke_config(Config(output_dir=tmp_path / "out"))
    with pytest.raises(ConfigError, match=r"'lr' is not an Ultralytics .*did you mean 'lr0'"):
        sweep(base, count=1, sweep_config=_with(lr={"values": [0.01]}))
    assert find_run_dirs(offline_wandb) == []  # nothing started
    assert not (tmp_path / "out").exists()


def test_out_of_range_value_is_caught():
    with pytest.raises(ConfigError, match=r"mosaic=1\.5 would be rejected by Ultralytics"):
        check_sweep_parameters(_with(mosaic={"values": [0.5, 1.5]}), Config())
    with pytest.raises(ConfigError, match="fliplr"):
        check_sweep_parameters(_with(fliplr={"min": 0.0, "max": 2.0}), Config())


def test_ultralytics_argument_not_passed_on_is_caught():
    with pytest.raises(ConfigError, match="'degrees' is an Ultralytics argument det-train does"):
        check_sweep_parameters(_with(degrees={"values": [0.0, 10.0]}), Config())


def test_lr0_with_auto_optimizer_is_caught():
    with pytest.raises(ConfigError, match="optimizer 'auto' ignores lr0"):
        check_sweep_parameters(SWEEP_CONFIG, Config(optimizer="auto"))


def test_smoke_sweep_trial_runs_and_queues_the_report(offline_wandb, tmp_path):
    base = smoke_config(Config(output_dir=tmp_path / "out", data_dir=tmp_path / "data", epochs=1))
    result = sweep(base, count=1)
    (trial,) = result.trials
    assert trial.params["imgsz"] in SMOKE_IMGSZ
    assert 1e-4 <= trial.params["lr0"] <= 2e-2
    run = read_run(trial.run_dir)
    assert run.group == result.group
    for name, value in trial.params.items():
        assert run.config[name] == pytest.approx(value)
    assert "val/mAP50" in trial.metrics
    (report,) = [a for a in pending_actions(trial.run_dir) if a["action"] == "report"]
    assert report["spec"]["metric"] == "val/mAP50"
    assert report["spec"]["group"] == result.group
    # Registry hygiene: one link for the whole sweep, the best trial's, into the smoke collection.
    links = [
        a for d in find_run_dirs(offline_wandb) for a in pending_actions(d) if a["action"] == "link"
    ]
    assert links == [a for a in pending_actions(trial.run_dir) if a["action"] == "link"]
    assert [a["target"] for a in links] == ["wandb-registry-model/coco128-detector-smoke"]
    # The CLI's report and the notebook's come from one function, with the task's x-axis.
    assert report["spec"] == report_spec_for(
        result.group, sweep_config_for(base), len(result.trials)
    )
    assert report["spec"]["x_axis"] == "epoch"
    assert dataclasses.replace(base).imgsz == 96  # the base config itself is untouched
