"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package llm-train pytest packages/llm-train
"""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_train.config import Config, smoke_config
from llm_train.train import train
from wb_testing.fixtures import isolate_hub, offline_wandb, smoke_run_fixture  # noqa: F401

# `llm-train --smoke` once, offline, in its own W&B sandbox and an empty Hugging Face cache.
smoke_run = smoke_run_fixture(
    train, lambda root: smoke_config(Config(output_dir=root / "out")), setup=isolate_hub
)


@pytest.fixture
def offline_hub(offline_wandb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """`offline_wandb` plus an empty, offline Hugging Face cache."""
    isolate_hub(monkeypatch, offline_wandb.parent)
    return offline_wandb
