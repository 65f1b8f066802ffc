"""The sweep configs (the sweep itself runs in notebook 02's test: a DeepLabV3 trial is slow).

uv run --package seg-train pytest packages/seg-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from seg_train.config import Config, smoke_config
from seg_train.sweep import SWEEP_CONFIG, smoke_sweep_config, sweep_config_for
from wb_common.sweep import check_sweep_config


def test_sweep_config_is_the_planned_one_and_names_config_fields():
    fields = [f.name for f in dataclasses.fields(Config)]
    check_sweep_config(SWEEP_CONFIG, fields)
    assert set(SWEEP_CONFIG["parameters"]) == {"lr", "freeze_backbone", "img_size"}
    assert SWEEP_CONFIG["metric"] == {"name": "val/mean_iou", "goal": "maximize"}


def test_smoke_sweep_changes_only_the_image_sizes():
    check_sweep_config(smoke_sweep_config, [f.name for f in dataclasses.fields(Config)])
    assert smoke_sweep_config["parameters"]["img_size"] == {"values": [40, 48]}
    assert {k: v for k, v in smoke_sweep_config["parameters"].items() if k != "img_size"} == {
        k: v for k, v in SWEEP_CONFIG["parameters"].items() if k != "img_size"
    }
    assert SWEEP_CONFIG["parameters"]["img_size"] == {"values": [128, 192, 256]}  # not mutated


def test_smoke_runs_sweep_the_cpu_sized_config():
    assert sweep_config_for(smoke_config(Config())) == smoke_sweep_config
    assert sweep_config_for(Config()) == SWEEP_CONFIG
