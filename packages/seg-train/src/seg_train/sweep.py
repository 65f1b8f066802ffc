"""`seg-sweep`: the sweep over lr, frozen backbone and image size (docs/tasks.md), then the Report.

uv run --package seg-train seg-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package seg-train seg-sweep --count 10            # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

from typing import Any

from wb_common.sweep import TaskSweep

from seg_train.config import TASK, check_config
from seg_train.train import train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/mean_iou", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-4, "max": 1e-2, "distribution": "log_uniform_values"},
        "freeze_backbone": {"values": [True, False]},
        "img_size": {"values": [128, 192, 256]},  # 256 px: ~4x the compute of 128 px
    },
}

# The same sweep with image sizes a CPU trains in seconds (for --smoke, CI, notebooks): at
# 128-256 px one DeepLabV3 step takes tens of seconds on two cores.
smoke_sweep_config: dict[str, Any] = {
    **SWEEP_CONFIG,
    "parameters": {**SWEEP_CONFIG["parameters"], "img_size": {"values": [40, 48]}},
}

SWEEP = TaskSweep(TASK, SWEEP_CONFIG, train, check_config, smoke_sweep_config=smoke_sweep_config)

# The names the notebook, the CLI and the tests use.
sweep_config_for = SWEEP.config_for
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
