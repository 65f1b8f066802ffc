"""Test fixtures for every member's tests: an isolated, offline W&B with no key and no network,
and the one smoke training a task's tests read back. Test-only code, in no runtime package.

Use from a member's `tests/conftest.py`:

    from wb_testing.fixtures import offline_wandb, smoke_run_fixture  # noqa: F401

    smoke_run = smoke_run_fixture(train, lambda root: smoke_config(Config(output_dir=root / "out")))
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomllib
import wandb
from wb_common.readback import RecordedRun, find_run_dirs, read_run

# A proxy on a closed loopback port: any download attempt (CIFAR, torchvision weights, the Hub)
# fails at once with a real connection error, instead of hanging or, on a CI machine that has
# network, quietly downloading hundreds of megabytes.
NO_NETWORK_PROXY = "http://127.0.0.1:9"


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the code under test sleeps on this thread: a retry's backoff (the Hub's
    and Ultralytics' downloaders sleep between tries), where an offline failure must come at
    once. Checked by what the code does, not by a wall-clock bound that a busy machine could pass
    or miss. Other threads (wandb's) sleep as usual."""
    real_sleep, test_thread = time.sleep, threading.current_thread()

    def sleep(seconds: float) -> None:
        if threading.current_thread() is test_thread and seconds >= 0.5:
            pytest.fail(f"slept {seconds} s, a retry's backoff: offline must fail at once")
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)


def isolate_wandb(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point every W&B folder into `root`, hide any API key, and cut the network via a proxy."""
    for name in ("WANDB_API_KEY", "WANDB_MODE", "WANDB_ENTITY", "WANDB_BASE_URL", "WB_DEMO_SMOKE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(root / "no-netrc"))
    for var, sub in (
        ("WANDB_DIR", "runs"),  # runs land in runs/wandb/offline-run-*
        ("WANDB_DATA_DIR", "wandb-data"),  # artifact staging: where offline artifact files live
        ("WANDB_CACHE_DIR", "wandb-cache"),
        ("WANDB_CONFIG_DIR", "wandb-config"),
        ("WANDB_ARTIFACT_DIR", "wandb-artifacts"),
        ("TORCH_HOME", "torch-home"),  # no cached pretrained weights
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(root / sub))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, NO_NETWORK_PROXY)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_SILENT", "true")
    # wandb reads its environment once into a process-wide singleton: drop it so the folders
    # above apply to the next run, not the previous test's.
    wandb.teardown()
    return root / "runs"


@pytest.fixture
def offline_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An offline W&B sandbox in `tmp_path`; yields the folder whose `wandb/` holds the runs."""
    runs = isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    yield runs
    wandb.teardown()


def isolate_hub(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """An empty, offline Hugging Face cache: nothing this machine cached can make a test pass.

    huggingface_hub reads HF_HOME once, at import, into `constants.HF_HUB_CACHE`; the downloads
    look that constant up per call. So the constant is patched, not only the variable.
    """
    cache = root / "hf-home" / "hub"
    monkeypatch.setenv("HF_HOME", str(root / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    return cache


@dataclasses.dataclass
class SmokeRun:
    """One `<task>-train --smoke`, offline, and what W&B recorded of it."""

    cfg: Any  # the task's Config, as trained
    result: Any  # what the task's train() returned (metrics, run_dir, model_path, card)
    recorded: RecordedRun  # the offline run, read back from its files
    root: Path  # the sandbox: runs, data, outputs
    run_dirs: list[Path]  # every W&B run folder the training left (a task run leaves one)


def smoke_run_fixture(
    train: Callable[[Any], Any],
    config_for: Callable[[Path], Any],
    *,
    setup: Callable[[pytest.MonkeyPatch, Path], None] | None = None,
) -> Any:
    """A session fixture `smoke_run`: `train(config_for(root))` once, offline, in its own sandbox.

    `setup(monkeypatch, root)` isolates whatever else the task reads (e.g. the Hugging Face cache).
    """

    @pytest.fixture(scope="session")
    def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmokeRun]:
        root = tmp_path_factory.mktemp("smoke")
        with pytest.MonkeyPatch.context() as mp:
            runs = isolate_wandb(mp, root)
            if setup is not None:
                setup(mp, root)
            cfg = config_for(root)
            result = train(cfg)
            yield SmokeRun(cfg, result, read_run(result.run_dir), root, find_run_dirs(runs))
        wandb.teardown()

    return smoke_run


def plant_run(out: Path, *names: str) -> dict[Path, bytes]:
    """Files of an earlier run in `out` (random bytes); returns every file's bytes, to compare."""
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(os.urandom(64))
    return file_bytes(out)


def file_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_second_run_refused(message: str, out: Path, before: dict[Path, bytes]) -> None:
    """A run into a folder holding another run's checkpoint: one sentence naming --resume and
    --overwrite, and every file of the old run keeps its bytes."""
    assert message.count("\n") <= 1 and "--resume" in message and "--overwrite" in message, message
    assert file_bytes(out) == before


def refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    main: Callable[[], Any],
    *args: str,
) -> str:
    """`main()` (a console script's function) with `args` on its command line must stop as a
    user's mistake does: exit code 2 and one line on stderr, Korean first. Returns that line."""
    monkeypatch.setattr(sys, "argv", [main.__module__, *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert err.count("\n") == 1 and re.search("[가-힣]", err.split(" — ")[0]), err
    return err


def console_scripts(root: Path) -> dict[str, str]:
    """Every `[project.scripts]` entry of the workspace at `root`: name -> "module:function"."""
    scripts: dict[str, str] = {}
    for pyproject in sorted(
        [*root.glob("packages/*/pyproject.toml"), *root.glob("apps/*/pyproject.toml")]
    ):
        scripts.update(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return scripts
