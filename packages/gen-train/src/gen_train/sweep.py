"""`gen-sweep`: the ROADMAP's sweep over lr, lora_rank and train_steps, then the comparison Report.

uv run --package gen-train gen-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package gen-train gen-sweep --count 8             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

from wb_common import SweepResult, create_report, run_sweep
from wb_common.report import sweep_report_spec
from wb_common.sweep import TrialFn, params_slug

from gen_train.config import Config, check_config
from gen_train.train import TASK, TrainResult, train

# val/loss, not train/loss: it uses fixed held-out images, noise and timesteps, so two trials
# differ only by what they learned. A style is judged by eye in the `generated` panels too.
SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/loss", "goal": "minimize"},
    "parameters": {
        "lr": {"min": 1e-5, "max": 1e-3, "distribution": "log_uniform_values"},
        "lora_rank": {"values": [4, 8, 16]},
        "train_steps": {"values": [200, 500, 1000]},
    },
}
SMOKE_TRAIN_STEPS = [4, 8]  # --smoke: the same sweep, with steps a CPU does in seconds


def sweep_config_for(cfg: Config) -> dict[str, Any]:
    """SWEEP_CONFIG, with `train_steps` a CPU can afford when `cfg` is a smoke config."""
    if not cfg.smoke:
        return SWEEP_CONFIG
    config = copy.deepcopy(SWEEP_CONFIG)
    config["parameters"]["train_steps"] = {"values": SMOKE_TRAIN_STEPS}
    config["parameters"]["lr"] = {"min": 1e-3, "max": 3e-2, "distribution": "log_uniform_values"}
    return config


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
    # Sample at the end of each trial only: a sweep compares final results, and sampling is slow.
    cfg = dataclasses.replace(cfg, sample_every=cfg.train_steps, checkpoint_every=cfg.train_steps)
    return train(cfg)


def trial_fn(base: Config) -> TrialFn:
    """`trial_fn(params, group)`: one trial of `base`, for `agent_trial` and `run_sweep`."""
    return functools.partial(run_trial, base)


def report_spec_for(
    group: str | None, sweep_config: dict[str, Any] = SWEEP_CONFIG, n_trials: int | None = None
) -> dict[str, Any]:
    """The comparison report's spec: the same for `gen-sweep` and the notebook (REPORT_FACTS)."""
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
