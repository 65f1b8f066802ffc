"""GitHub workflows pass actionlint and zizmor, offline.

uv run --all-packages pytest tests/test_workflows.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).parents[1] / ".github" / "workflows"


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_workflows_pass_lint(tool):
    exe = shutil.which(tool, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert exe, f"{tool} is a dev dependency: run `uv sync --all-packages`"
    args = [exe, *sorted(map(str, WORKFLOWS.glob("*.yml")))]
    if tool == "zizmor":
        args = [exe, "--offline", str(WORKFLOWS)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_action_is_pinned_to_a_commit():
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if "uses:" in line and not line.strip().startswith("#"):
                ref = line.split("uses:", 1)[1].split("#")[0].strip()
                assert len(ref.split("@")[-1]) == 40, f"{path.name}: {ref} is not pinned to a SHA"
