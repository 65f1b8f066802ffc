"""The sweep and the CLI's one-sentence errors (the sweep itself runs in notebook 02's test).

uv run --package seg-train pytest packages/seg-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses
import sys

import pytest
from seg_train import cli
from seg_train.config import Config
from seg_train.sweep import SWEEP_CONFIG, smoke_sweep_config
from wb_common.sweep import check_sweep_config


def test_sweep_config_is_the_roadmaps_and_names_config_fields():
    fields = [f.name for f in dataclasses.fields(Config)]
    check_sweep_config(SWEEP_CONFIG, fields)
    assert set(SWEEP_CONFIG["parameters"]) == {"lr", "freeze_backbone", "img_size"}
    assert SWEEP_CONFIG["metric"] == {"name": "val/mean_iou", "goal": "maximize"}


def test_smoke_sweep_changes_only_the_image_sizes():
    smoke = smoke_sweep_config()
    check_sweep_config(smoke, [f.name for f in dataclasses.fields(Config)])
    assert smoke["parameters"]["img_size"] == {"values": [40, 48]}
    assert {k: v for k, v in smoke["parameters"].items() if k != "img_size"} == {
        k: v for k, v in SWEEP_CONFIG["parameters"].items() if k != "img_size"
    }
    assert SWEEP_CONFIG["parameters"]["img_size"] == {"values": [128, 192, 256]}  # not mutated


def test_cli_ends_with_one_sentence_when_the_dataset_is_missing(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(sys, "argv", ["seg-train", "--data-dir", str(tmp_path / "data")])
    with pytest.raises(SystemExit) as exit_info:
        cli.train_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seg-train: Oxford-IIIT Pet could not be downloaded")
    assert "--smoke" in err and "\n" not in err
