"""`gen-sweep`: the sweep over lr, lora_rank and train_steps (docs/tasks.md), then the Report.

uv run --package gen-train gen-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package gen-train gen-sweep --count 8             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wb_common.sweep import TaskSweep

from gen_train.config import TASK, Config, check_config
from gen_train.train import train

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
SMOKE_TRAIN_STEPS = [4, 8]
# --smoke: the same parameters, with steps a CPU does in seconds and the lr a random tiny UNet needs
smoke_sweep_config: dict[str, Any] = {
    **SWEEP_CONFIG,
    "parameters": {
        **SWEEP_CONFIG["parameters"],
        "lr": {"min": 1e-3, "max": 3e-2, "distribution": "log_uniform_values"},
        "train_steps": {"values": SMOKE_TRAIN_STEPS},
    },
}


def sample_at_the_end(cfg: Config, params: dict[str, Any]) -> Config:
    """A trial samples and checkpoints at its last step only: a sweep compares final results,
    and sampling is slow."""
    return dataclasses.replace(cfg, sample_every=cfg.train_steps, checkpoint_every=cfg.train_steps)


SWEEP = TaskSweep(
    TASK,
    SWEEP_CONFIG,
    train,
    check_config,
    smoke_sweep_config=smoke_sweep_config,
    adjust_trial=sample_at_the_end,
)
# The names the notebook, the CLI and the tests use.
sweep_config_for = SWEEP.config_for
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
