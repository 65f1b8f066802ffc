"""Commands named to the user, written the way they work where the user is.

In the repository's uv environment the CLI runs as `uv run wb-demo …`; after a plain
`pip install` (Colab, a laptop, an air-gapped box) there is no uv project and the command is
`wb-demo …`. Every message that names a command asks this module, so the two never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path


def in_uv_workspace(prefix: str | Path | None = None) -> bool:
    """True when Python runs from a uv project's own `.venv` (the folder beside its uv.lock)."""
    venv = Path(prefix or sys.prefix)
    return venv.name == ".venv" and (venv.parent / "uv.lock").is_file()


def wb_demo_command(args: str = "", *, prefix: str | Path | None = None) -> str:
    """`wb-demo ARGS` as the user should type it here, e.g. `uv run wb-demo sync` in the repo."""
    command = f"wb-demo {args}".strip()
    return f"uv run {command}" if in_uv_workspace(prefix) else command


def sync_command(path: str | Path | None = None, *, prefix: str | Path | None = None) -> str:
    """The command that uploads offline runs and replays their queued registry links and reports."""
    return wb_demo_command(f"sync {path}" if path else "sync", prefix=prefix)
