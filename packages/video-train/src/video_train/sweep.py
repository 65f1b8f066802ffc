"""`video-sweep`: the ROADMAP's sweep over num_frames, lr and clip_duration, then the Report.

uv run --package video-train video-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package video-train video-sweep --count 10            # online: wandb.sweep + agent
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wb_common import SweepResult, create_report, report_spec, run_sweep
from wb_common.sweep import params_slug

from video_train.config import Config, check_config
from video_train.train import TASK, TrainResult, train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        # Few distinct values: each (num_frames, clip_duration) pair is decoded once and cached.
        "num_frames": {"values": [8, 16]},
        "clip_duration": {"values": [1.0, 2.0, 3.0]},
        "lr": {"min": 1e-5, "max": 1e-3, "distribution": "log_uniform_values"},
    },
}


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


def sweep(base: Config, count: int, sweep_config: dict[str, Any] = SWEEP_CONFIG) -> SweepResult:
    """Run `count` trials, then publish (online) or queue (offline) the comparison Report."""
    check_config(base)
    result = run_sweep(
        sweep_config,
        lambda params, group: run_trial(base, params, group),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
    )
    spec = report_spec(
        TASK,
        title="UCF-101 비디오 분류: 하이퍼파라미터 스윕 비교",
        description=(
            f"스윕 그룹 {result.group}의 실험 {len(result.trials)}개를 "
            "val/acc 기준으로 비교합니다. "
            "Compares the sweep's trials on val/acc: learning curves, parallel coordinates, "
            "parameter importance for num_frames, clip_duration and lr."
        ),
        metric=sweep_config["metric"]["name"],
        params=list(sweep_config["parameters"]),
        line_metrics=["val/acc", "val/top5_acc", "val/loss", "train/loss"],
        group=result.group,
    )
    best = result.best
    create_report(spec, run_dir=best.run_dir if best else None)
    return result
