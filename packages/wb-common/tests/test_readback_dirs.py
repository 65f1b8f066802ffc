"""Finding a run's folders by id and in the order they started, also within one second.

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


def test_runs_started_in_the_same_second_come_in_the_order_they_started(tmp_path: Path):
    """The folder names tie on the second and then sort by random id; debug.log breaks the tie.

    This order is what a test relies on when it reads back a crashed run and then a finished one
    (CI once saw the two swapped because the second run's id sorted first)."""
    later = make_run(tmp_path, "offline-run-20261130_082203-aaaaaaaa")
    earlier = make_run(tmp_path, "offline-run-20261130_082203-zzzzzzzz")
    online = make_run(tmp_path, "run-20261130_082202-mmmmmmmm")  # an earlier second, online
    for folder, millis in ((earlier, "101"), (later, "957")):
        (folder / "logs").mkdir()
        line = f"2026-11-30 08:22:03,{millis} INFO    MainThread:1 [wandb_init.py] Logging\n"
        (folder / "logs" / "debug.log").write_text(line, encoding="utf-8")
    assert find_run_dirs(tmp_path) == [online, earlier, later]
