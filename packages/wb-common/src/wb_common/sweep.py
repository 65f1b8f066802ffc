"""Hyperparameter sweeps that run with a W&B server and without one.

Online, this is plain W&B: `wandb.sweep(config)` registers the sweep and `wandb.agent` calls the
trial function once per suggestion. With no server (offline, air-gapped, CI) the same config runs
on `sweeps`, the engine the W&B server itself uses (https://github.com/wandb/sweeps): the same
grid/random/bayes suggestions, each trial its own offline run in one group, ready to `wandb sync`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import wandb
import yaml

from wb_common.run import project_name, resolve_mode


class TrialOutcome(Protocol):
    """What a task's `train()` returns: its final metrics and where its run is."""

    metrics: dict[str, float]  # must contain the sweep metric, e.g. "val/acc"
    run_dir: Path | None


# trial_fn(params, group) trains once with `params` overriding the config, in a run of `group`.
TrialFn = Callable[[dict[str, Any], str], TrialOutcome]


@dataclass(frozen=True)
class Trial:
    params: dict[str, Any]
    metrics: dict[str, float]
    run_dir: Path | None


@dataclass(frozen=True)
class SweepResult:
    sweep_id: str | None  # the server's sweep id online; None for a local sweep
    group: str
    metric: str
    goal: str
    trials: list[Trial]

    @property
    def best(self) -> Trial | None:
        scored = [t for t in self.trials if _finite(t.metrics.get(self.metric))]
        if not scored:
            return None
        pick = max if self.goal == "maximize" else min
        return pick(scored, key=lambda t: t.metrics[self.metric])


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _plain(value: Any) -> Any:
    """numpy scalars (what the bayes engine suggests) -> plain Python numbers."""
    return value.item() if hasattr(value, "item") else value


def params_slug(params: dict[str, Any]) -> str:
    """A trial's parameters as a folder name: `lr=3.00e-04-batch_size=64`."""
    return "-".join(
        f"{k}={v:.2e}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def check_sweep_config(sweep_config: dict[str, Any], fields: Iterable[str] | None = None) -> None:
    """Fail with one sentence on a config W&B would reject or that names unknown fields."""
    for key in ("method", "metric", "parameters"):
        if key not in sweep_config:
            raise ValueError(f"sweep config needs a {key!r} section")
    if sweep_config["method"] not in ("grid", "random", "bayes"):
        raise ValueError(
            f"sweep method must be grid, random or bayes, not {sweep_config['method']!r}"
        )
    metric = sweep_config["metric"]
    if not metric.get("name") or metric.get("goal") not in ("maximize", "minimize"):
        raise ValueError("sweep metric needs a name and a goal of maximize or minimize")
    if fields is not None:
        unknown = sorted(set(sweep_config["parameters"]) - set(fields))
        if unknown:
            raise ValueError(
                f"sweep parameters {', '.join(unknown)} are not fields of the training config"
            )


def run_sweep(
    sweep_config: dict[str, Any],
    trial_fn: TrialFn,
    *,
    task: str,
    count: int,
    fields: Iterable[str] | None = None,
    group: str | None = None,
) -> SweepResult:
    """Run `count` trials of `trial_fn` over `sweep_config` (ROADMAP-style dict).

    Online when `resolve_mode()` says so, otherwise locally on the `sweeps` engine.
    """
    check_sweep_config(sweep_config, fields)
    if count < 1:
        raise ValueError(f"a sweep needs at least one trial, got count={count}")
    group = group or f"sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    if resolve_mode() == "online":
        result = _run_online(sweep_config, trial_fn, task=task, count=count, group=group)
    else:
        result = _run_local(sweep_config, trial_fn, count=count, group=group)
    if best := result.best:
        print(
            f"[wb-demo] sweep {result.sweep_id or group}: best {result.metric}="
            f"{best.metrics[result.metric]:.4f} with {best.params}"
        )
    return result


def _run_local(
    sweep_config: dict[str, Any], trial_fn: TrialFn, *, count: int, group: str
) -> SweepResult:
    import sweeps  # W&B's engine; imported here because it pulls in scikit-learn

    metric = sweep_config["metric"]
    print(f"[wb-demo] no W&B server: running the sweep locally on the `sweeps` engine ({group}).")
    history: list[Any] = []  # sweeps.SweepRun
    trials: list[Trial] = []
    for i in range(count):
        suggestion = sweeps.next_run(sweep_config, history)
        if suggestion is None:  # a grid that is exhausted
            break
        params = {k: _plain(v["value"]) for k, v in suggestion.config.items()}
        outcome = trial_fn(params, group)
        trials.append(Trial(params, dict(outcome.metrics), outcome.run_dir))
        history.append(
            sweeps.SweepRun(
                name=f"trial-{i}",
                config={k: {"value": v} for k, v in params.items()},
                state=sweeps.RunState.finished,
                summary_metrics=dict(outcome.metrics),
            )
        )
    return SweepResult(None, group, metric["name"], metric["goal"], trials)


def _agent_params() -> dict[str, Any]:
    # wandb.agent writes the suggestion to the file named by WANDB_SWEEP_PARAM_PATH before it
    # calls the function (wandb/wandb_agent.py, `_run_job`): {name: {"value": v}}.
    with open(os.environ["WANDB_SWEEP_PARAM_PATH"], encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    return {k: v["value"] for k, v in raw.items() if isinstance(v, dict) and "value" in v}


def _run_online(
    sweep_config: dict[str, Any], trial_fn: TrialFn, *, task: str, count: int, group: str
) -> SweepResult:
    metric = sweep_config["metric"]
    project = project_name(task)
    sweep_id = wandb.sweep(sweep_config, project=project, entity=os.environ.get("WANDB_ENTITY"))
    trials: list[Trial] = []

    def one_trial() -> None:
        params = _agent_params()
        outcome = trial_fn(params, group)
        trials.append(Trial(params, dict(outcome.metrics), outcome.run_dir))

    wandb.agent(sweep_id, function=one_trial, count=count, project=project)
    return SweepResult(sweep_id, group, metric["name"], metric["goal"], trials)
