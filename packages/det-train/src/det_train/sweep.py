"""`det-sweep`: the sweep over lr0, imgsz and augmentation (docs/tasks.md), then the Report.

uv run --package det-train det-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package det-train det-sweep --count 10            # online: wandb.sweep + wandb.agent

Every parameter is checked against Ultralytics before the first trial: an unknown key would stop
Ultralytics with a SyntaxError, an out-of-range value with a ValueError, after the dataset and
the first run were already set up.
"""

from __future__ import annotations

import dataclasses
from difflib import get_close_matches
from typing import Any

from wb_common.sweep import TaskSweep

from det_train.config import TASK, ULTRALYTICS_FIELDS, Config, ConfigError, check_config
from det_train.train import train

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
# The same sweep with image sizes a CPU trains in seconds (`--smoke`).
smoke_sweep_config: dict[str, Any] = {
    **SWEEP_CONFIG,
    "parameters": {**SWEEP_CONFIG["parameters"], "imgsz": {"values": SMOKE_IMGSZ}},
}


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
                "Ultralytics가 모르는 스윕 파라미터입니다 — "
                f"sweep parameter {name!r} is not an Ultralytics training argument{hint}: "
                "Ultralytics would stop with a SyntaxError; fix the sweep config."
            )
        if name not in ULTRALYTICS_FIELDS:
            raise ConfigError(
                "det-train이 전달하지 않는 스윕 파라미터입니다 — "
                f"sweep parameter {name!r} is an Ultralytics argument det-train does not pass on: "
                f"sweep one of {', '.join(ULTRALYTICS_FIELDS)}."
            )
        for value in _candidate_values(spec):
            try:
                check_cfg({name: value})
            except (TypeError, ValueError) as err:
                raise ConfigError(
                    "Ultralytics가 거부할 스윕 값입니다 — "
                    f"sweep parameter {name}={value!r} would be rejected by Ultralytics "
                    f"({str(err).splitlines()[0]}): fix its range or values."
                ) from None
            check_config(dataclasses.replace(base, **{name: value}))
    if base.optimizer == "auto" and "lr0" in sweep_config.get("parameters", {}):
        raise ConfigError(
            "optimizer 'auto'는 lr0를 무시하므로 lr0 스윕은 의미가 없습니다 — "
            "optimizer 'auto' ignores lr0, so sweeping lr0 would change nothing: "
            "pass --config.optimizer SGD (or AdamW)."
        )


SWEEP = TaskSweep(
    TASK,
    SWEEP_CONFIG,
    train,
    check_config,
    smoke_sweep_config=smoke_sweep_config,
    check_parameters=check_sweep_parameters,
)
# The names the notebook, the CLI and the tests use:
sweep_config_for = SWEEP.config_for  # SWEEP_CONFIG, or smoke_sweep_config when cfg.smoke
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
