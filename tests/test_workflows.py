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


def load_workflow(name: str) -> dict:
    import yaml

    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on:` key as True
    return data


def test_no_expression_is_spliced_into_a_shell_script():
    """Event data reaches scripts through `env:` only: no `${{ }}` inside any `run:`."""
    for path in WORKFLOWS.glob("*.yml"):
        for job in load_workflow(path.name)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name')}"


def test_deploy_workflow_listens_for_the_automations_event():
    from viewer.payload import COLLECTIONS
    from wb_common.payload import DISPATCH_EVENT_TYPE

    workflow = load_workflow("deploy-on-promotion.yml")
    assert workflow["on"]["repository_dispatch"]["types"] == [DISPATCH_EVENT_TYPE]
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["collection"]["options"] == list(COLLECTIONS)
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["deploy"]["permissions"] == {"contents": "write"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    text = (WORKFLOWS / "deploy-on-promotion.yml").read_text()
    assert "client_payload" in text and "viewer-deploy --payload-file" in text
