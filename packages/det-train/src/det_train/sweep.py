"""`det-sweep`: the ROADMAP's sweep over lr0, imgsz and augmentation, then the comparison Report.

uv run --package det-train det-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package det-train det-sweep --count 10            # online: wandb.sweep + wandb.agent

Every parameter is checked against Ultralytics before the first trial: an unknown key would stop
Ultralytics with a SyntaxError, an out-of-range value with a ValueError, after the dataset and
the first run were already set up.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from difflib import get_close_matches
from typing import Any

from wb_common import SweepResult, create_report, run_sweep
from wb_common.report import sweep_report_spec
from wb_common.sweep import TrialFn, params_slug

from det_train.config import ULTRALYTICS_FIELDS, Config, ConfigError, check_config
from det_train.train import TASK, TrainResult, train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/mAP50", "goal": "maximize"},
    "parameters": {
        # lr0 only counts with an explicit optimizer (Config.optimizer, SGD by default).
        "lr0": {"min": 1e-4, "max": 2e-2, "distribution": "log_uniform_values"},
        "imgsz": {"values": [320, 480, 640]},
        "mosaic": {"values": [0.0, 0.5, 1.0]},
        "fliplr": {"min": 0.0, "max": 0.5},
        "hsv_v": {"min": 0.0, "max": 0.6},
    },
}
SMOKE_IMGSZ = [64, 96]  # the smoke sweep's image sizes: seconds a trial on a CPU


def smoke_sweep_config(sweep_config: dict[str, Any]) -> dict[str, Any]:
    """The same sweep with image sizes a CPU trains in seconds."""
    smoke = copy.deepcopy(sweep_config)
    if "imgsz" in smoke["parameters"]:
        smoke["parameters"]["imgsz"] = {"values": SMOKE_IMGSZ}
    return smoke


def _candidate_values(spec: dict[str, Any]) -> list[Any]:
    if "values" in spec:
        return list(spec["values"])
    if "value" in spec:
        return [spec["value"]]
    return [spec[k] for k in ("min", "max") if k in spec]


def check_sweep_parameters(sweep_config: dict[str, Any], base: Config) -> None:
    """One sentence for any parameter Ultralytics (or det-train) would reject, before training."""
    from ultralytics.cfg import DEFAULT_CFG_DICT, check_cfg

    for name, spec in sweep_config.get("parameters", {}).items():
        if name not in DEFAULT_CFG_DICT:
            # Suggest what det-train passes on first: "lr" -> "lr0", not Ultralytics' "lrf".
            close = get_close_matches(name, ULTRALYTICS_FIELDS, n=1) or get_close_matches(
                name, list(DEFAULT_CFG_DICT), n=1
            )
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"sweep parameter {name!r} is not an Ultralytics training argument{hint}: "
                "Ultralytics would stop with a SyntaxError; fix the sweep config."
            )
        if name not in ULTRALYTICS_FIELDS:
            raise ConfigError(
                f"sweep parameter {name!r} is an Ultralytics argument det-train does not pass on: "
                f"sweep one of {', '.join(ULTRALYTICS_FIELDS)}."
            )
        for value in _candidate_values(spec):
            try:
                check_cfg({name: value})
            except (TypeError, ValueError) as err:
                raise ConfigError(
                    f"sweep parameter {name}={value!r} would be rejected by Ultralytics "
                    f"({str(err).splitlines()[0]}): fix its range or values."
                ) from None
            check_config(dataclasses.replace(base, **{name: value}))
    if base.optimizer == "auto" and "lr0" in sweep_config.get("parameters", {}):
        raise ConfigError(
            "optimizer 'auto' ignores lr0, so sweeping lr0 would change nothing: "
            "pass --config.optimizer SGD (or AdamW)."
        )


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
    return smoke_sweep_config(SWEEP_CONFIG) if cfg.smoke else SWEEP_CONFIG


def trial_fn(base: Config) -> TrialFn:
    """`trial_fn(params, group)`: one trial of `base`, for `agent_trial` and `run_sweep`."""
    return functools.partial(run_trial, base)


def report_spec_for(
    group: str | None, sweep_config: dict[str, Any] = SWEEP_CONFIG, n_trials: int | None = None
) -> dict[str, Any]:
    """The comparison report's spec: the same for `det-sweep` and the notebook (REPORT_FACTS)."""
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
    check_sweep_parameters(sweep_config, base)
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
