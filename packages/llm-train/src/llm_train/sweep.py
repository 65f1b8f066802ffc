"""`llm-sweep`: lora_r, lr, epochs and max_seq_len (ROADMAP), then the comparison Report.

uv run --package llm-train llm-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package llm-train llm-sweep --count 4             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from wb_common import SweepResult, create_report, run_sweep
from wb_common.report import sweep_report_spec
from wb_common.sweep import TrialFn, params_slug

from llm_train.config import Config, check_config
from llm_train.train import TASK, TrainResult, train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "eval/perplexity", "goal": "minimize"},
    "parameters": {
        "lora_r": {"values": [8, 16, 32]},
        "lr": {"min": 5e-5, "max": 5e-4, "distribution": "log_uniform_values"},
        "epochs": {"values": [1, 2]},
        "max_seq_len": {"values": [256, 512]},
    },
}


def run_trial(base: Config, params: dict[str, Any], group: str) -> TrainResult:
    """One sweep trial: the base config with the suggested parameters, in the sweep's group."""
    if "lora_r" in params:  # keep alpha/r = 2 as r changes, so lr means the same step size
        params = {"lora_alpha": 2 * params["lora_r"], **params}
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
    """The sweep config for `cfg`: SWEEP_CONFIG (its smoke runs are already CPU-sized)."""
    return SWEEP_CONFIG


def trial_fn(base: Config) -> TrialFn:
    """`trial_fn(params, group)`: one trial of `base`, for `agent_trial` and `run_sweep`."""
    return functools.partial(run_trial, base)


def report_spec_for(
    group: str | None, sweep_config: dict[str, Any] = SWEEP_CONFIG, n_trials: int | None = None
) -> dict[str, Any]:
    """The comparison report's spec: the same for `llm-sweep` and the notebook (REPORT_FACTS)."""
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
