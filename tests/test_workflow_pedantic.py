"""The workflows pass zizmor's pedantic persona too, and every container image is pinned.

uv run --all-packages pytest tests/test_workflow_pedantic.py

tests/test_workflows.py runs zizmor's default persona; `unpinned-images` (a `container:` by tag,
which the registry can move) is reported only by the pedantic one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).parents[1] / ".github" / "workflows"


def test_zizmor_pedantic_is_clean():
    """Before: `container: debian:bookworm` was an unpinned-images error, and six jobs had no
    name (anonymous-definition)."""
    exe = shutil.which(
        "zizmor", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    assert exe, "zizmor is a dev dependency: run `uv sync --all-packages`"
    proc = subprocess.run([exe, "--offline", "--pedantic", str(WORKFLOWS)], capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_container_image_is_pinned_by_digest():
    images = []
    for path in WORKFLOWS.glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            container = job.get("container")
            if container is not None:
                images.append(container if isinstance(container, str) else container["image"])
    assert images  # the browser job runs in Debian
    for image in images:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), image
