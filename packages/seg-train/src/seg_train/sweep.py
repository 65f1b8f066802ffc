"""`seg-sweep`: the ROADMAP's sweep over lr, backbone freezing and image size, then the Report.

uv run --package seg-train seg-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package seg-train seg-sweep --count 10            # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from wb_common import SweepResult, create_report, report_spec, run_sweep
from wb_common.sweep import params_slug

from seg_train.config import Config, check_config
from seg_train.train import TASK, TrainResult, train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/mean_iou", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-4, "max": 1e-2, "distribution": "log_uniform_values"},
        "freeze_backbone": {"values": [True, False]},
        "img_size": {"values": [128, 192, 256]},  # 256 px: ~4x the compute of 128 px
    },
}


def smoke_sweep_config(sweep_config: dict[str, Any] = SWEEP_CONFIG) -> dict[str, Any]:
    """The same sweep with image sizes a CPU trains in seconds (for --smoke, CI, notebooks)."""
    smoke = copy.deepcopy(sweep_config)
    smoke["parameters"]["img_size"] = {"values": [40, 48]}
    return smoke


def run_trial(base: Config, params: dict[str, Any], group: str) -> TrainResult:
    """One sweep trial: the base config with the suggested parameters, in the sweep's group."""
    cfg = dataclasses.replace(
        base,
        **params,
        group=group,
        output_dir=base.output_dir / group / f"trial-{params_slug(params)}",
        resume=False,
    )
    return train(cfg)


def sweep(base: Config, count: int, sweep_config: dict[str, Any] | None = None) -> SweepResult:
    """Run `count` trials, then publish (online) or queue (offline) the comparison Report.

    Without `sweep_config`: SWEEP_CONFIG, or its smoke variant when `base.smoke`.
    """
    check_config(base)
    if sweep_config is None:
        sweep_config = smoke_sweep_config() if base.smoke else SWEEP_CONFIG
    result = run_sweep(
        sweep_config,
        lambda params, group: run_trial(base, params, group),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
    )
    spec = report_spec(
        TASK,
        title="Oxford-IIIT Pet 세그멘테이션: 하이퍼파라미터 스윕 비교",
        description=(
            f"스윕 그룹 {result.group}의 실험 {len(result.trials)}개를 "
            "val/mean_iou 기준으로 비교합니다. "
            "Compares the sweep's trials on val/mean_iou: learning curves, parallel coordinates, "
            "parameter importance."
        ),
        metric=sweep_config["metric"]["name"],
        params=list(sweep_config["parameters"]),
        line_metrics=["val/mean_iou", "val/dice", "val/pixel_acc", "val/loss", "train/loss"],
        group=result.group,
    )
    best = result.best
    create_report(spec, run_dir=best.run_dir if best else None)
    return result
