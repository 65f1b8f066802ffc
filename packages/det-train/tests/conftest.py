"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package det-train pytest packages/det-train
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before det_train (and so ultralytics) is imported: Ultralytics reads its config folder once, at
# import. The tests must never touch a real settings file or font cache.
if "YOLO_CONFIG_DIR" not in os.environ:
    os.environ["YOLO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="det-train-tests-yolo-")
    atexit.register(shutil.rmtree, os.environ["YOLO_CONFIG_DIR"], ignore_errors=True)

from det_train.config import Config, smoke_config
from det_train.train import TrainResult, train
from wb_common import find_run_dirs, read_run
from wb_common.testing import isolate_wandb, offline_wandb  # noqa: F401  (fixture)


@dataclasses.dataclass
class SmokeRun:
    result: TrainResult
    recorded: object  # wb_common.RecordedRun
    root: Path
    run_dirs: list[Path]  # every W&B run folder the training left (must be one)
    settings_before: str  # Ultralytics' settings.json before and after the training
    settings_after: str


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmokeRun]:
    """`det-train --smoke` once, offline, in its own W&B sandbox."""
    from ultralytics.utils import SETTINGS_FILE

    root = tmp_path_factory.mktemp("smoke")
    with pytest.MonkeyPatch.context() as mp:
        runs = isolate_wandb(mp, root)
        cfg = smoke_config(Config(output_dir=root / "out", data_dir=root / "data"))
        before = SETTINGS_FILE.read_text()
        result = train(cfg)
        after = SETTINGS_FILE.read_text()
        run_dirs = find_run_dirs(runs)
        yield SmokeRun(result, read_run(result.run_dir), root, run_dirs, before, after)
