"""Hyperparameter sweeps that run with a W&B server and without one.

Online, this is plain W&B: `wandb.sweep(config)` registers the sweep and `wandb.agent` calls the
trial function once per suggestion; `--sweep-id ENTITY/PROJECT/ID` joins a sweep that already
exists, so agents on several GPUs or machines share it (the server is the controller). With no
server (offline, air-gapped, CI) the same config runs on `sweeps`, the engine the W&B server
itself uses (https://github.com/wandb/sweeps): `local_agent` hands out the same grid/random/bayes
suggestions the way `wandb.agent` does, each trial its own offline run in one group.

Registry rule (docs/architecture.md): a trial never links its model; after the sweep only the best
trial's model is linked, once, with `staging` (`finish_sweep`). A sweep that many agents share is
closed by `close_server_sweep` (`wb-demo report --sweep …`) once every agent is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import logging
import math
import os
import random
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import wandb
import yaml

from wb_common.artifacts import link_noted_model, noted_model
from wb_common.report import create_report, publish_report, sweep_report_spec
from wb_common.run import resolve_mode
from wb_common.tasks import PROJECT_PREFIX, TASKS, project_name


class SweepError(ValueError):
    """A sweep that cannot run or be closed; the message says why and what to do."""


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
    link: str | None = None  # what became of the best model: linked, queued, … (None: not tried)
    staging_moved: bool | None = None  # did `staging` move to the best trial (None: not tried)

    @property
    def best(self) -> Trial | None:
        return best_trial(self.trials, self.metric, self.goal)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def best_trial(trials: Iterable[Trial], metric: str, goal: str) -> Trial | None:
    """The trial with the best finite `metric` (None when no trial has one)."""
    scored = [t for t in trials if _finite(t.metrics.get(metric))]
    if not scored:
        return None
    pick = max if goal == "maximize" else min
    return pick(scored, key=lambda t: t.metrics[metric])


def _plain(value: Any) -> Any:
    """numpy scalars (what the bayes engine suggests) -> plain Python numbers."""
    return value.item() if hasattr(value, "item") else value


def params_text(params: dict[str, Any]) -> str:
    """A trial's parameters for one printed line: `lr=3.0e-04, batch_size=64`."""
    return ", ".join(
        f"{k}={v:.1e}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def params_slug(params: dict[str, Any]) -> str:
    """A trial's parameters as a folder name: `lr=3.00e-04-batch_size=64`."""
    return "-".join(
        f"{k}={v:.2e}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def parse_sweep_path(path: str) -> tuple[str, str, str]:
    """`ENTITY/PROJECT/ID` (as the sweep's page shows it) -> (entity, project, id)."""
    parts = path.strip().strip("/").split("/")
    if len(parts) != 3 or not all(parts):
        raise SweepError(
            f"스윕 경로는 ENTITY/PROJECT/ID 형식이어야 합니다 (받은 값: {path!r}). "
            f"A sweep path is ENTITY/PROJECT/ID, got {path!r}."
        )
    return parts[0], parts[1], parts[2]


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


def agent_trial(
    trial_fn: TrialFn,
    group: str,
    trials: list[Trial] | None = None,
    *,
    parameters: Iterable[str],
    mode: str | None = None,
) -> Callable[[], Trial]:
    """The function to pass to `wandb.agent(sweep_id, function=...)` or `local_agent`.

    Each call is a trial as W&B's docs write one: `run = wandb.init()` (the agent put its
    suggestion into the run's config), the `parameters` read back from `run.config`, then
    `trial_fn(params, group)` trains in that run (`start_run` joins a trial's own run). The trial
    is appended to `trials` and returned. The agent tears W&B down before each trial (pyagent
    calls `wandb.teardown()`), so no run started before the sweep may be used after it.
    """
    names = list(parameters)

    def one_trial() -> Trial:
        # mode None: what the agent's environment says (WANDB_MODE), online by default.
        run = wandb.init(group=group, mode=mode, settings=wandb.Settings(silent=True))
        params = {name: _plain(run.config[name]) for name in names}
        outcome = trial_fn(params, group)
        trial = Trial(params, dict(outcome.metrics), outcome.run_dir)
        if trials is not None:
            trials.append(trial)
        return trial

    return one_trial


# Loggers whose INFO lines (model summaries, dataset scans, per-epoch tables) fill a sweep cell.
TRAINING_LOGGERS = ("ultralytics", "transformers", "diffusers", "accelerate", "peft", "trl")


@contextlib.contextmanager
def quiet_output(loggers: Iterable[str] = TRAINING_LOGGERS) -> Any:
    """Inside a sweep trial: the training's prints and the libraries' INFO logs go to a buffer
    (yielded), not the cell; the trial's W&B run keeps the curves. Warnings and errors still
    show, and an exception still propagates with its traceback."""
    buffer = io.StringIO()
    levels = {name: logging.getLogger(name).level for name in loggers}
    for name in levels:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield buffer
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


class EngineRandomness:
    """The local engine's own random state. W&B's `sweeps` draws from Python's and numpy's global
    generators, which each trial's train() seeds (transformers' set_seed): on those, every
    suggestion after a trial repeated the one before (notebook 05 ran one suggestion twice).
    `with randomness.active():` swaps the engine's state in, and the trial's back on leaving."""

    def __init__(self) -> None:
        self.python = random.Random().getstate()  # both seeded from the OS, like a fresh agent
        self.numpy = np.random.RandomState().get_state()

    @contextlib.contextmanager
    def active(self):
        outside = random.getstate(), np.random.get_state()
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        try:
            yield
        finally:
            self.python, self.numpy = random.getstate(), np.random.get_state()
            random.setstate(outside[0])
            np.random.set_state(outside[1])


def local_agent(
    sweep_config: dict[str, Any],
    function: Callable[[], Any],
    count: int,
    *,
    project: str | None = None,
) -> list[Any]:
    """`wandb.agent` without a server: W&B's own `sweeps` engine suggests, `function` trains.

    Same contract as `wandb.agent(function=...)`: the suggestion is in WANDB_SWEEP_PARAM_PATH,
    which `wandb.init()` inside `function` reads into `run.config` (as under the real agent), and
    W&B is torn down before each trial, as pyagent does — so a notebook that touches a run from
    before the sweep fails here too, not only on stage. `project` is the sweep's project, which
    the server's agent gives each trial's run (WANDB_PROJECT while the trial runs). `function`
    returns the trial's outcome (anything with `.metrics`), which tells the bayes engine how the
    trial scored. Returns what each call returned. Errors propagate (pyagent would only log them).
    """
    with warnings.catch_warnings():  # pydantic's V2 notice about the engine's models
        warnings.simplefilter("ignore", UserWarning)
        import sweeps  # W&B's engine; imported here because it pulls in scikit-learn
        from sklearn.exceptions import ConvergenceWarning

    history: list[Any] = []  # sweeps.SweepRun
    outcomes: list[Any] = []
    randomness = EngineRandomness()
    with tempfile.TemporaryDirectory(prefix="wb-demo-sweep-") as tmp:
        for i in range(count):
            with randomness.active(), warnings.catch_warnings():
                # The bayes engine's Gaussian-process fit warns (ConvergenceWarning, UserWarning)
                # on the few, noisy trials of a demo; its suggestion is still the one to try.
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", ConvergenceWarning)
                suggestion = sweeps.next_run(sweep_config, history)
            if suggestion is None:  # a grid that is exhausted
                break
            config = {k: {"value": _plain(v["value"])} for k, v in suggestion.config.items()}
            param_path = Path(tmp) / f"config-trial-{i}.yaml"
            param_path.write_text(yaml.safe_dump(config), encoding="utf-8")
            os.environ["WANDB_SWEEP_PARAM_PATH"] = str(param_path)
            project_before = os.environ.get("WANDB_PROJECT")
            if project:
                os.environ["WANDB_PROJECT"] = project
            try:
                wandb.teardown()  # what pyagent does before each trial
                outcome = function()
            finally:
                os.environ.pop("WANDB_SWEEP_PARAM_PATH", None)
                if project_before is None:
                    os.environ.pop("WANDB_PROJECT", None)
                else:
                    os.environ["WANDB_PROJECT"] = project_before
            outcomes.append(outcome)
            history.append(
                sweeps.SweepRun(
                    name=f"trial-{i}",
                    config=config,
                    state=sweeps.RunState.finished,
                    summary_metrics=dict(getattr(outcome, "metrics", None) or {}),
                )
            )
    return outcomes


SWEEP_BEST = "sweep-best"  # the alias of the best trial's model: always moves, never promoted


def staging_score(api: Any, target: str, metric: str) -> float | None:
    """`metric` in the model card of the version `staging` points to in `target` (a registry
    path); None when no version holds `staging` or its card lacks the metric."""
    try:
        version = api.artifact(f"{target}:staging")
    except (wandb.errors.CommError, ValueError):  # no such alias (yet) in this collection
        return None
    value = ((version.metadata or {}).get("metrics") or {}).get(metric)
    return float(value) if _finite(value) else None


def beats(value: float, current: float | None, goal: str) -> bool:
    """True when `value` is strictly better than `current` (no current model: anything is)."""
    if current is None:
        return True
    return value > current if goal == "maximize" else value < current


def _staging_line(metric: str, value: float, current: float | None, moved: bool) -> str:
    if current is None:
        return (
            f"[wb-demo] staging 모델의 {metric}을 알 수 없어 최고 시도({value:.4f})로 staging을 "
            f"옮깁니다. No staging model to compare with: staging moves to the best trial."
        )
    if moved:
        return (
            f"[wb-demo] 최고 시도({metric} {value:.4f})가 지금 staging 모델({current:.4f})보다 "
            f"좋아 staging을 옮깁니다. The best trial beats staging: staging moves to it."
        )
    return (
        f"[wb-demo] 최고 시도({metric} {value:.4f})가 지금 staging 모델({current:.4f})보다 좋지 "
        f"않아 staging은 그대로 두고 {SWEEP_BEST}로만 연결합니다. The best trial does not beat "
        f"staging: staging stays, the trial is linked as {SWEEP_BEST}."
    )


def finish_sweep(
    sweep_config: dict[str, Any],
    trials: list[Trial],
    *,
    group: str,
    sweep_id: str | None = None,
    link_best: bool = True,
    api: Any = None,
    staging: dict[str, float] | None = None,
) -> SweepResult:
    """After the last trial: say which trial won and link only its model, once.

    The best model always gets `sweep-best`; `staging` moves to it only when it beats the model
    `staging` points to on the sweep's metric — read from that version's model card in the
    Registry, or, offline (no Registry to read), from `staging`: the metrics of the model this
    session linked as staging (the notebook's training run). With neither, staging moves.
    """
    metric = sweep_config["metric"]
    result = SweepResult(sweep_id, group, metric["name"], metric["goal"], list(trials))
    best = result.best
    if best is None:
        print(
            f"[wb-demo] 스윕 {sweep_id or group}: {result.metric}을 기록한 시도가 없습니다. "
            f"No trial reported {result.metric}."
        )
        return result
    value = best.metrics[result.metric]
    print(
        f"[wb-demo] 스윕 {sweep_id or group}의 최고 시도: {result.metric} {value:.4f}, "
        f"{params_text(best.params)} (best trial)"
    )
    if not link_best or best.run_dir is None:
        return result
    note = noted_model(best.run_dir)
    if note is None:  # says so and returns "no model"
        return replace(result, link=link_noted_model(best.run_dir, api=api))
    current = None
    if not note["offline"]:
        current = staging_score(api or wandb.Api(), note["target"], result.metric)
    if current is None and staging is not None and _finite(staging.get(result.metric)):
        current = float(staging[result.metric])
    moved = beats(value, current, result.goal)
    print(_staging_line(result.metric, value, current, moved))
    aliases = [SWEEP_BEST, "staging"] if moved else [SWEEP_BEST]
    link = link_noted_model(best.run_dir, api=api, aliases=aliases)
    return replace(result, link=link, staging_moved=moved)


def run_sweep(
    sweep_config: dict[str, Any],
    trial_fn: TrialFn,
    *,
    task: str,
    count: int,
    fields: Iterable[str] | None = None,
    group: str | None = None,
    sweep_id: str | None = None,
    smoke: bool = False,
) -> SweepResult:
    """Run `count` trials of `trial_fn` over `sweep_config` and link the best trial's model.

    Online when `resolve_mode()` says so (wandb.sweep + wandb.agent), otherwise locally on the
    `sweeps` engine. With `sweep_id` ("ENTITY/PROJECT/ID") this machine joins a sweep on the
    server as one more agent; it links nothing and makes no report, because other agents may
    still run: `wb-demo report --sweep ENTITY/PROJECT/ID` does both when all are done.
    """
    check_sweep_config(sweep_config, fields)
    if count < 1:
        raise ValueError(f"a sweep needs at least one trial, got count={count}")
    trials: list[Trial] = []
    names = list(sweep_config["parameters"])
    online = resolve_mode(smoke=smoke) == "online"
    if sweep_id is not None:
        entity, project, sid = parse_sweep_path(sweep_id)
        if not online:
            raise SweepError(
                "--sweep-id는 W&B 서버에 연결된 상태(API 키, 네트워크)에서만 쓸 수 있습니다. "
                "--sweep-id needs the W&B server: log in (WANDB_API_KEY) and retry."
            )
        group = group or f"sweep-{sid}"
        print(
            f"[wb-demo] 스윕 {entity}/{project}/{sid}에 에이전트 하나로 합류합니다"
            f"(시도 {count}개). Joining the sweep as one more agent."
        )
        trial = agent_trial(trial_fn, group, trials, parameters=names)
        wandb.agent(sid, function=trial, entity=entity, project=project, count=count)
        result = finish_sweep(sweep_config, trials, group=group, sweep_id=sid, link_best=False)
        print(
            f"[wb-demo] 모든 에이전트가 끝나면 `wb-demo report --sweep {entity}/{project}/{sid}`가 "
            "비교 리포트를 만들고 최고 모델을 연결합니다. When every agent is done, that command "
            "makes the report and links the best model."
        )
        return result
    if online:
        project = project_name(task)
        entity = os.environ.get("WANDB_ENTITY")
        sid = wandb.sweep(sweep_config, project=project, entity=entity)
        group = group or f"sweep-{sid}"
        trial = agent_trial(trial_fn, group, trials, parameters=names)
        wandb.agent(sid, function=trial, entity=entity, project=project, count=count)
        return finish_sweep(sweep_config, trials, group=group, sweep_id=sid)
    group = group or f"sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    print(
        f"[wb-demo] W&B 서버 없이 `sweeps` 엔진으로 스윕을 이 컴퓨터에서 실행합니다({group}). "
        "No W&B server: the sweep runs locally."
    )
    trial = agent_trial(trial_fn, group, trials, parameters=names, mode="offline")
    local_agent(sweep_config, trial, count, project=project_name(task))
    return finish_sweep(sweep_config, trials, group=group)


def task_of_project(project: str) -> str:
    """`wandb-e2e-demo-image-classification` -> `image-classification` (the demo's own projects)."""
    for task in TASKS:
        if project == project_name(task):
            return task
    raise SweepError(
        f"{project!r}는 이 데모의 프로젝트가 아닙니다 ({PROJECT_PREFIX}-<task>). "
        f"{project!r} is not one of this demo's projects ({PROJECT_PREFIX}-<task>)."
    )


ACTIVE_STATES = ("running", "pending", "preempting")


def close_server_sweep(path: str, *, api: Any = None, wr: Any = None) -> SweepResult:
    """`wb-demo report --sweep ENTITY/PROJECT/ID`: the end of a sweep that many agents shared.

    Once no run of the sweep is still running: publish the comparison report (the task's
    REPORT_FACTS, runs of the group `sweep-<id>` that `--sweep-id` agents use) and link the best
    run's model to the collection its run recorded (`registry_target`), once, with `staging`;
    the run's summary keeps `registry_linked`, so a second call links nothing.
    """
    entity, project, sid = parse_sweep_path(path)
    task = task_of_project(project)
    api = api or wandb.Api()
    sweep = api.sweep(f"{entity}/{project}/{sid}")
    runs = list(sweep.runs)
    active = [r for r in runs if r.state in ACTIVE_STATES]
    if active:
        raise SweepError(
            f"스윕 {path}의 run {len(active)}개가 아직 실행 중입니다: 모든 에이전트가 끝난 뒤 다시 "
            f"실행하세요. {len(active)} runs of {path} are still running: retry when all are done."
        )
    config = sweep.config
    metric, goal = config["metric"]["name"], config["metric"]["goal"]
    pairs = []  # (trial, run): the server's runs as trials, to pick the best the same way
    for run in runs:
        value = run.summary.get(metric)
        pairs.append(
            (Trial(dict(run.config), {metric: value} if _finite(value) else {}, None), run)
        )
    result = SweepResult(sid, f"sweep-{sid}", metric, goal, [t for t, _ in pairs])
    best = result.best
    if best is None:
        raise SweepError(
            f"스윕 {path}의 어떤 run도 {metric}을 기록하지 않았습니다. "
            f"No run of {path} recorded {metric}: nothing to compare or link."
        )
    best_run = next(run for trial, run in pairs if trial is best)
    print(
        f"[wb-demo] 스윕 {path}의 최고 run: {metric} {best.metrics[metric]:.4f} ({best_run.path})"
    )
    result = replace(result, link=_link_best_run(best_run, api, metric, goal))
    spec = sweep_report_spec(task, group=result.group, params=list(config["parameters"]),
                             n_trials=len(runs), metric=metric)  # fmt: skip
    spec["entity"] = spec["entity"] or entity
    print(f"[wb-demo] 리포트를 게시했습니다 (report): {publish_report(spec, api=api, wr=wr)}")
    return result


def _link_best_run(run: Any, api: Any, metric: str, goal: str) -> str:
    """Link the model a finished sweep run logged into the collection it recorded, once: as
    `sweep-best`, and as `staging` only when it beats the model `staging` points to."""
    target = run.config.get("registry_target")
    if not target:
        raise SweepError(
            f"run {run.path}에 registry_target이 없습니다: 이 데모의 `<task>-sweep --sweep-id`로 "
            f"만든 run이 아닙니다. Run {run.path} recorded no registry_target."
        )
    if run.summary.get("registry_linked") == target:
        print(f"[wb-demo] {run.path}: 모델이 이미 {target}에 연결되어 있습니다. Already linked.")
        return "already linked"
    models = [a for a in run.logged_artifacts() if a.type == "model"]
    if not models:
        raise SweepError(
            f"run {run.path}이 모델 아티팩트를 기록하지 않아 연결할 것이 없습니다. "
            f"Run {run.path} logged no model artifact; nothing to link."
        )
    value = float(run.summary[metric])
    current = staging_score(api, target, metric)
    moved = beats(value, current, goal)
    print(_staging_line(metric, value, current, moved))
    aliases = [SWEEP_BEST, "staging"] if moved else [SWEEP_BEST]
    models[-1].link(target, aliases=aliases)
    run.summary["registry_linked"] = target
    run.update()
    print(f"[wb-demo] Registry: {models[-1].name}(최고 run)을 {target} {aliases}로 연결했습니다.")
    return "linked"


def trial_config(base: Any, params: dict[str, Any], group: str) -> Any:
    """One trial's config: `base` with the suggested `params`, in the sweep's `group`.

    A sweep overrides fields with `dataclasses.replace`. Each trial writes into its own
    folder, never resumes an earlier one, and does not link its model (`sweep_trial`): only the
    best trial's model is linked, once, after the sweep.
    """
    return dataclasses.replace(
        base,
        **params,
        group=group,
        output_dir=Path(base.output_dir) / group / f"trial-{params_slug(params)}",
        resume=False,
        sweep_trial=True,
    )


@dataclass(frozen=True)
class TaskSweep:
    """A task's sweep, for `<task>-sweep` and the notebook's sweep cells alike.

    Each task's sweep.py writes its SWEEP_CONFIG (docs/tasks.md) and builds one of
    these from its own `train` and `check_config`; what follows is the same for all six.
    """

    task: str
    sweep_config: dict[str, Any]  # method, metric, parameters (docs/tasks.md)
    train: Callable[[Any], TrialOutcome]
    check_config: Callable[[Any], None]
    # The same sweep sized for a CPU (--smoke), when the real ranges would take minutes a trial.
    smoke_sweep_config: dict[str, Any] | None = None
    # A task's own rule for one trial's config, applied after `trial_config` (e.g. llm keeps
    # lora_alpha = 2 * lora_r, gen samples only at the end of a trial).
    adjust_trial: Callable[[Any, dict[str, Any]], Any] | None = None
    # Checks the parameters against the library that will read them (det: Ultralytics), before
    # the first trial starts.
    check_parameters: Callable[[dict[str, Any], Any], None] | None = None

    def config_for(self, cfg: Any) -> dict[str, Any]:
        """The sweep config for `cfg`: the smoke variant when `cfg.smoke` and the task has one."""
        if cfg.smoke and self.smoke_sweep_config is not None:
            return self.smoke_sweep_config
        return self.sweep_config

    def trial_config_for(self, base: Any, params: dict[str, Any], group: str) -> Any:
        """One trial's config: `trial_config(base, params, group)` and the task's own rule."""
        cfg = trial_config(base, params, group)
        if self.adjust_trial is not None:
            cfg = self.adjust_trial(cfg, params)
        return cfg

    def run_trial(self, base: Any, params: dict[str, Any], group: str) -> TrialOutcome:
        """One sweep trial: `trial_config_for(base, params, group)` trained."""
        return self.train(self.trial_config_for(base, params, group))

    def trial_fn(self, base: Any) -> TrialFn:
        """`trial_fn(params, group)`: one trial of `base`, for `agent_trial` and `run_sweep`."""
        return functools.partial(self.run_trial, base)

    def report_spec(
        self,
        group: str | None,
        sweep_config: dict[str, Any] | None = None,
        n_trials: int | None = None,
    ) -> dict[str, Any]:
        """The comparison report's spec: the same for the CLI and the notebook (REPORT_FACTS)."""
        sweep_config = sweep_config or self.sweep_config
        return sweep_report_spec(
            self.task,
            group=group,
            params=list(sweep_config["parameters"]),
            n_trials=n_trials,
            metric=sweep_config["metric"]["name"],
        )

    def sweep(
        self,
        base: Any,
        count: int,
        sweep_config: dict[str, Any] | None = None,
        *,
        sweep_id: str | None = None,
    ) -> SweepResult:
        """Run `count` trials, link the best trial's model, then publish or queue the Report.

        Without `sweep_config`: `config_for(base)`. With `sweep_id` (ENTITY/PROJECT/ID) this
        machine joins a sweep on the server as one more agent; `wb-demo report --sweep` then
        makes the report and the one registry link when every agent is done.
        """
        sweep_config = sweep_config or self.config_for(base)
        self.check_config(base)
        if self.check_parameters is not None:
            self.check_parameters(sweep_config, base)
        result = run_sweep(
            sweep_config,
            self.trial_fn(base),
            task=self.task,
            count=count,
            fields=[f.name for f in dataclasses.fields(base)],
            sweep_id=sweep_id,
            smoke=base.smoke,
        )
        if sweep_id is None:
            best = result.best
            spec = self.report_spec(result.group, sweep_config, len(result.trials))
            create_report(spec, run_dir=best.run_dir if best else None)
        return result
