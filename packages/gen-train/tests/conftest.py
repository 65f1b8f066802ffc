"""Shared fixtures: one smoke training run per test session, read back from what W&B recorded.

uv run --package gen-train pytest packages/gen-train
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from gen_train.config import Config, smoke_config
from gen_train.train import TrainResult, train
from wb_common import find_run_dirs, read_run
from wb_common.testing import isolate_wandb, offline_wandb  # noqa: F401  (fixture)


@dataclasses.dataclass
class SmokeRun:
    cfg: Config
    result: TrainResult
    recorded: object  # wb_common.RecordedRun
    root: Path


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmokeRun]:
    """`gen-train --smoke` once, offline, in its own W&B sandbox."""
    root = tmp_path_factory.mktemp("smoke")
    with pytest.MonkeyPatch.context() as mp:
        runs = isolate_wandb(mp, root)
        cfg = smoke_config(Config(output_dir=root / "out"))
        result = train(cfg)
        (run_dir,) = find_run_dirs(runs)
        yield SmokeRun(cfg, result, read_run(run_dir), root)


@pytest.fixture
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, so "offline" tests never find a model this machine cached.

    huggingface_hub reads HF_HOME once at import; the cache path is looked up per call.
    """
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path / "hf-cache"


@pytest.fixture(scope="package", autouse=True)
def _restore_torch_threads() -> Iterator[None]:
    """The tiny pipeline sets torch to one thread; later members' tests get theirs back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
