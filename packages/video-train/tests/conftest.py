"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package video-train pytest packages/video-train
"""

from __future__ import annotations

from video_train.config import Config, smoke_config
from video_train.train import train
from wb_testing.fixtures import offline_wandb, smoke_run_fixture  # noqa: F401  (fixture)

# `video-train --smoke` once, offline, in its own W&B sandbox.
smoke_run = smoke_run_fixture(
    train, lambda root: smoke_config(Config(output_dir=root / "out", data_dir=root / "data"))
)
