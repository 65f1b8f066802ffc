"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package video-train pytest packages/video-train
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from video_train.config import Config, smoke_config
from video_train.train import TrainResult, train
from wb_common import find_run_dirs, read_run
from wb_common.testing import isolate_wandb, offline_wandb  # noqa: F401  (fixture)


@dataclasses.dataclass
class SmokeRun:
    result: TrainResult
    recorded: object  # wb_common.RecordedRun
    root: Path


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmokeRun]:
    """`video-train --smoke` once, offline, in its own W&B sandbox."""
    root = tmp_path_factory.mktemp("smoke")
    with pytest.MonkeyPatch.context() as mp:
        runs = isolate_wandb(mp, root)
        cfg = smoke_config(Config(output_dir=root / "out", data_dir=root / "data"))
        result = train(cfg)
        (run_dir,) = find_run_dirs(runs)
        yield SmokeRun(result, read_run(run_dir), root)
