"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package cls-train pytest packages/cls-train
"""

from __future__ import annotations

from cls_train.config import Config, smoke_config
from cls_train.train import train
from wb_testing.fixtures import offline_wandb, smoke_run_fixture  # noqa: F401  (fixtures)

smoke_run = smoke_run_fixture(
    train, lambda root: smoke_config(Config(output_dir=root / "out", data_dir=root / "data"))
)
