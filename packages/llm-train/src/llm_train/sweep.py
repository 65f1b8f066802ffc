"""`llm-sweep`: lora_r, lr, epochs and max_seq_len (docs/tasks.md), then the comparison Report.

uv run --package llm-train llm-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package llm-train llm-sweep --count 4             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wb_common.sweep import TaskSweep

from llm_train.config import TASK, Config, check_config
from llm_train.train import train

# No smoke variant: the smoke config is already CPU-sized whatever lora_r, lr, epochs it gets.
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


def alpha_follows_r(cfg: Config, params: dict[str, Any]) -> Config:
    """lora_alpha = 2 * lora_r as the sweep changes r (unless it sweeps alpha itself): the scale
    alpha/r stays 2, so an lr means the same step size at every rank."""
    if "lora_r" in params and "lora_alpha" not in params:
        return dataclasses.replace(cfg, lora_alpha=2 * cfg.lora_r)
    return cfg


SWEEP = TaskSweep(TASK, SWEEP_CONFIG, train, check_config, adjust_trial=alpha_follows_r)
# The names the notebook, the CLI and the tests use.
sweep_config_for = SWEEP.config_for
trial_fn = SWEEP.trial_fn
trial_config_for = SWEEP.trial_config_for
report_spec_for = SWEEP.report_spec
sweep = SWEEP.sweep
