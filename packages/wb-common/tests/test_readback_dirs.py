"""Finding a run's folders by id, including a resume started in the same second.

uv run --all-packages pytest packages/wb-common/tests/test_readback_dirs.py
"""

from __future__ import annotations

from pathlib import Path

from wb_common.readback import find_run_dirs


def make_run(base: Path, name: str) -> Path:
    folder = base / "wandb" / name
    folder.mkdir(parents=True)
    (folder / f"run-{name.rsplit('-', 1)[-1]}.wandb").write_bytes(b"")
    return folder


def test_same_second_resume_folder_belongs_to_the_run(tmp_path: Path):
    """wandb names a second folder of the same run, started within the same second, `…-<id>-1`."""
    first = make_run(tmp_path, "offline-run-20261130_032650-gs89bzci")
    second = make_run(tmp_path, "offline-run-20261130_032650-gs89bzci-1")
    other = make_run(tmp_path, "offline-run-20261130_032651-xgs89bzci")
    assert find_run_dirs(tmp_path, "gs89bzci") == [first, second]
    assert find_run_dirs(tmp_path, "xgs89bzci") == [other]
    assert find_run_dirs(tmp_path) == [first, second, other]
