"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package llm-train pytest packages/llm-train
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_train.config import Config, smoke_config
from llm_train.train import TrainResult, train
from wb_common import find_run_dirs, read_run
from wb_common.testing import isolate_wandb, offline_wandb  # noqa: F401  (fixture)


@dataclasses.dataclass
class SmokeRun:
    cfg: Config
    result: TrainResult
    recorded: object  # wb_common.RecordedRun
    root: Path


def isolate_hub(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """An empty Hugging Face cache: nothing cached on this machine can make a test pass."""
    monkeypatch.setenv("HF_HOME", str(root / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmokeRun]:
    """`llm-train --smoke` once, offline, in its own W&B sandbox."""
    root = tmp_path_factory.mktemp("smoke")
    with pytest.MonkeyPatch.context() as mp:
        runs = isolate_wandb(mp, root)
        isolate_hub(mp, root)
        cfg = smoke_config(Config(output_dir=root / "out"))
        result = train(cfg)
        (run_dir,) = find_run_dirs(runs)
        yield SmokeRun(cfg, result, read_run(run_dir), root)


@pytest.fixture
def offline_hub(offline_wandb: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """`offline_wandb` plus an empty, offline Hugging Face cache."""
    isolate_hub(monkeypatch, offline_wandb.parent)
    return offline_wandb
