"""Commands named to the user match where the user is.

uv run --all-packages pytest packages/wb-common/tests/test_commands.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from wb_common.commands import in_uv_workspace, sync_command, wb_demo_command


def test_repository_venv_gets_uv_run(tmp_path: Path):
    (tmp_path / "uv.lock").write_text("version = 1\n")
    venv = tmp_path / ".venv"
    venv.mkdir()
    assert in_uv_workspace(venv)
    assert sync_command(prefix=venv) == "uv run wb-demo sync"
    assert sync_command("wandb/", prefix=venv) == "uv run wb-demo sync wandb/"


def test_pip_install_gets_the_plain_command(tmp_path: Path):
    """Colab's /usr, a user's virtualenv, a `.venv` that no uv project owns: plain `wb-demo`."""
    for prefix in (Path("/usr"), tmp_path / "env", tmp_path / ".venv"):
        assert not in_uv_workspace(prefix)
        assert wb_demo_command("sync --dry-run", prefix=prefix) == "wb-demo sync --dry-run"


def test_this_test_run_is_inside_the_workspace():
    """The README's test command runs in the repository's .venv, so messages say `uv run`."""
    repo_venv = Path(__file__).parents[3] / ".venv"
    assert in_uv_workspace() == (Path(sys.prefix).resolve() == repo_venv.resolve())
