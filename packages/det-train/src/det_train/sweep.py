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
from difflib import get_close_matches
from typing import Any

from wb_common import SweepResult, create_report, report_spec, run_sweep
from wb_common.sweep import params_slug

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
    )
    return train(cfg)


def sweep(base: Config, count: int, sweep_config: dict[str, Any] | None = None) -> SweepResult:
    """Run `count` trials, then publish (online) or queue (offline) the comparison Report."""
    if sweep_config is None:
        sweep_config = smoke_sweep_config(SWEEP_CONFIG) if base.smoke else SWEEP_CONFIG
    check_config(base)
    check_sweep_parameters(sweep_config, base)
    result = run_sweep(
        sweep_config,
        lambda params, group: run_trial(base, params, group),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
    )
    spec = report_spec(
        TASK,
        title=f"{base.dataset_name} 객체 탐지: 하이퍼파라미터 스윕 비교",
        description=(
            f"스윕 그룹 {result.group}의 실험 {len(result.trials)}개를 "
            "val/mAP50 기준으로 비교합니다. "
            "Compares the sweep's trials on val/mAP50: learning curves, parallel coordinates, "
            "parameter importance."
        ),
        metric=sweep_config["metric"]["name"],
        params=list(sweep_config["parameters"]),
        line_metrics=["val/mAP50", "val/mAP50-95", "train/box_loss"],
        group=result.group,
    )
    best = result.best
    create_report(spec, run_dir=best.run_dir if best else None)
    return result
