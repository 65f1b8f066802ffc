"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package det-train pytest packages/det-train
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Before det_train (and so ultralytics) is imported: Ultralytics reads its config folder once, at
# import. The tests must never touch a real settings file or font cache.
if "YOLO_CONFIG_DIR" not in os.environ:
    os.environ["YOLO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="det-train-tests-yolo-")
    atexit.register(shutil.rmtree, os.environ["YOLO_CONFIG_DIR"], ignore_errors=True)

from det_train.config import Config, smoke_config
from det_train.train import train
from wb_testing.fixtures import offline_wandb, smoke_run_fixture  # noqa: F401  (fixture)

SETTINGS_BEFORE = "ultralytics-settings-before.json"  # in the smoke root; test_train compares


def keep_ultralytics_settings(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Copy Ultralytics' settings.json before the smoke training, to compare it afterwards; and
    train from a folder of its own (`root/cwd`), which must stay empty: nothing of a smoke run
    lands in the folder it starts in (the repository)."""
    from ultralytics.utils import SETTINGS_FILE

    shutil.copyfile(SETTINGS_FILE, root / SETTINGS_BEFORE)
    (root / "cwd").mkdir()
    monkeypatch.chdir(root / "cwd")


# `det-train --smoke` once, offline, in its own W&B sandbox.
smoke_run = smoke_run_fixture(
    train,
    lambda root: smoke_config(Config(output_dir=root / "out")),  # data_dir: the smoke default
    setup=keep_ultralytics_settings,
)
