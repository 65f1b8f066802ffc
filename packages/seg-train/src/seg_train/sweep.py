"""`seg-sweep`: the ROADMAP's sweep over lr, backbone freezing and image size, then the Report.

uv run --package seg-train seg-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package seg-train seg-sweep --count 10            # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

from wb_common import SweepResult, create_report, run_sweep
from wb_common.report import sweep_report_spec
from wb_common.sweep import TrialFn, params_slug

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
        sweep_trial=True,  # no link per trial: only the best trial's model, after the sweep
    )
    return train(cfg)


def sweep_config_for(cfg: Config) -> dict[str, Any]:
    """SWEEP_CONFIG, or its smoke variant (CPU-sized images) when `cfg.smoke`."""
    return smoke_sweep_config() if cfg.smoke else SWEEP_CONFIG


def trial_fn(base: Config) -> TrialFn:
    """`trial_fn(params, group)`: one trial of `base`, for `agent_trial` and `run_sweep`."""
    return functools.partial(run_trial, base)


def report_spec_for(
    group: str | None, sweep_config: dict[str, Any] = SWEEP_CONFIG, n_trials: int | None = None
) -> dict[str, Any]:
    """The comparison report's spec: the same for `seg-sweep` and the notebook (REPORT_FACTS)."""
    return sweep_report_spec(
        TASK,
        group=group,
        params=list(sweep_config["parameters"]),
        n_trials=n_trials,
        metric=sweep_config["metric"]["name"],
    )


def sweep(
    base: Config,
    count: int,
    sweep_config: dict[str, Any] | None = None,
    *,
    sweep_id: str | None = None,
) -> SweepResult:
    """Run `count` trials, link the best trial's model, then publish or queue the Report.

    Without `sweep_config`: `sweep_config_for(base)`. With `sweep_id` (ENTITY/PROJECT/ID) this
    machine joins a sweep on the server as one more agent; `wb-demo report --sweep` then makes
    the report and the one registry link when every agent is done.
    """
    sweep_config = sweep_config or sweep_config_for(base)
    check_config(base)
    result = run_sweep(
        sweep_config,
        trial_fn(base),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
        sweep_id=sweep_id,
        smoke=base.smoke,
    )
    if sweep_id is None:
        best = result.best
        spec = report_spec_for(result.group, sweep_config, len(result.trials))
        create_report(spec, run_dir=best.run_dir if best else None)
    return result
