"""`cls-sweep`: the sweep over lr, batch size and optimizer (docs/tasks.md), then the Report.

uv run --package cls-train cls-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package cls-train cls-sweep --count 10            # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

from typing import Any

from wb_common.sweep import TaskSweep

from cls_train.config import TASK, check_config
from cls_train.train import train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-5, "max": 1e-2, "distribution": "log_uniform_values"},
        "batch_size": {"values": [32, 64, 128]},
        "optimizer": {"values": ["adam", "sgd", "adamw"]},
    },
}

# No smoke_sweep_config: at 32 px on the synthetic data every value above trains in seconds.
SWEEP = TaskSweep(TASK, SWEEP_CONFIG, train, check_config)

# The names the notebook, the CLI and the tests use.
sweep_config_for = SWEEP.config_for
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
