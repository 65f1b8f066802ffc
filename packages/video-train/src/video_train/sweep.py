"""`video-sweep`: the sweep over num_frames, lr and clip_duration (docs/tasks.md), then the Report.

uv run --package video-train video-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package video-train video-sweep --count 10            # online: wandb.sweep + agent
"""

from __future__ import annotations

from typing import Any

from wb_common.sweep import TaskSweep

from video_train.config import TASK, check_config
from video_train.train import train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        # Few distinct values: each (num_frames, clip_duration) pair is decoded once and cached.
        "num_frames": {"values": [8, 16]},
        "clip_duration": {"values": [1.0, 2.0, 3.0]},
        "lr": {"min": 1e-5, "max": 1e-3, "distribution": "log_uniform_values"},
    },
}


# Its smoke runs are already CPU-sized (8 frames of 32 px): no smoke variant of the ranges.
SWEEP = TaskSweep(TASK, SWEEP_CONFIG, train, check_config)
# The names the notebook, the CLI and the tests use:
sweep_config_for = SWEEP.config_for
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
