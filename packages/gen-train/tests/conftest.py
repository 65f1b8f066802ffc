"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package gen-train pytest packages/gen-train
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gen_train.config import Config, smoke_config
from gen_train.train import train
from wb_testing.fixtures import isolate_hub, offline_wandb, smoke_run_fixture  # noqa: F401

# `gen-train --smoke` once, offline, in its own W&B sandbox.
smoke_run = smoke_run_fixture(train, lambda root: smoke_config(Config(output_dir=root / "out")))


@pytest.fixture
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, so "offline" tests never find a model this machine cached."""
    return isolate_hub(monkeypatch, tmp_path)


@pytest.fixture(scope="package", autouse=True)
def _restore_torch_threads() -> Iterator[None]:
    """The tiny pipeline sets torch to one thread; later members' tests get theirs back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
