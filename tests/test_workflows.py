"""GitHub workflows pass actionlint and zizmor, offline.

uv run --all-packages pytest tests/test_workflows.py
"""

from __future__ import annotations

import json
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
    text = (WORKFLOWS / "deploy-on-promotion.yml").read_text()
    assert "client_payload" in text and "viewer-deploy --payload-file" in text


def _steps(job: dict) -> str:
    return yaml_dump(job)


def yaml_dump(data) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_secrets_live_in_an_environment_and_never_meet_the_write_token():
    """The W&B key sits in the `viewer-production` environment (main only) and in the job that
    runs the artifact, which can only read; the job that can write holds no W&B key, checks out
    the branch tip and never downloads or loads the artifact."""
    jobs = load_workflow("deploy-on-promotion.yml")["jobs"]
    deploy, record = jobs["deploy"], jobs["record"]
    assert deploy["environment"] == "viewer-production"
    assert deploy["permissions"] == {"contents": "read"}
    assert "secrets." in _steps(deploy) and "secrets." not in _steps(record)
    assert record["permissions"] == {"contents": "write"} and record["needs"] == "deploy"
    assert "viewer-deploy" not in _steps(record)
    guard = deploy["steps"][0]
    assert "DEFAULT_BRANCH" in guard["run"] and "exit 1" in guard["run"]  # a branch run fails
    (checkout,) = [s for s in record["steps"] if s.get("uses", "").startswith("actions/checkout")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert checkout["with"]["persist-credentials"] is False
    summary = [s for s in deploy["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert summary and "viewer.payload summary" in summary[0]["run"]


def test_no_concurrency_group_cancels_a_pending_deploy():
    """GitHub keeps one pending run per concurrency group: a third promotion cancelled the
    second. Ordering comes from `--sequence` (the run id) and the re-applying push instead."""
    workflow = load_workflow("deploy-on-promotion.yml")
    assert "concurrency" not in workflow
    assert all("concurrency" not in job for job in workflow["jobs"].values())
    assert '--sequence "$RUN_ID"' in workflow["jobs"]["deploy"]["steps"][-2]["run"]


def test_zizmor_auditor_persona_is_clean():
    exe = shutil.which(
        "zizmor", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    assert exe
    proc = subprocess.run(
        [exe, "--offline", "--persona=auditor", str(WORKFLOWS / "deploy-on-promotion.yml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def _entry(model_type: str, collection: str, version: str, sequence: int):
    from viewer import deployment as dp
    from wb_common import ModelCard

    card = ModelCard(
        model_type=model_type, architecture="x", weights_file="w.pth", class_names=["a", "b"]
    )
    return dp.Deployment(
        model_type=model_type, model_name=collection, version=version,
        artifact_path=f"acme/wandb-registry-model/{collection}:{version}",
        deployed_at="2026-11-30T00:00:00Z", deployed_by="kim", source="wandb",
        files={"w.pth": "0" * 64}, card=card.to_dict(), sequence=sequence,
    )  # fmt: skip


def test_commit_step_disables_hooks_and_reapplies_on_a_moved_tip(tmp_path):
    """The record job's script, run for real with bash and git: the origin is a local bare
    repository standing in for GitHub (a `url.insteadOf` rewrite), `uv run` a shim to this
    Python. Another deploy lands after the checkout, so the first push is rejected as a
    non-fast-forward; the script must apply its entry again on the new tip and push. Hooks
    planted in .git/hooks and a core.hooksPath set in the repository must not run."""
    from viewer import deployment as dp

    script = next(
        s["run"]
        for s in load_workflow("deploy-on-promotion.yml")["jobs"]["record"]["steps"]
        if "run" in s and "viewer.record" in s["run"]
    )
    origin, runner, other = tmp_path / "origin.git", tmp_path / "runner", tmp_path / "other"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    _git(tmp_path, "clone", "-q", str(origin), str(other))
    (other / "apps/viewer").mkdir(parents=True)
    (other / "apps/viewer" / dp.DEPLOYMENT_FILE).write_bytes(dp.manifest_bytes({}))
    _git(other, "add", ".")
    _git(other, "commit", "-q", "-m", "seed")
    _git(other, "push", "-q", "origin", "HEAD:main")
    _git(tmp_path, "clone", "-q", str(origin), str(runner))  # the record job's checkout
    # ... and then another collection's deploy lands on main
    dp.record(other / "apps/viewer", _entry("segmentation", "pet-segmenter", "v1", 10))
    _git(other, "add", "apps/viewer/deployment.json", "apps/viewer/deployments.jsonl")
    _git(other, "commit", "-q", "-m", "deploy pet-segmenter:v1")
    _git(other, "push", "-q", "origin", "HEAD:main")

    marker = tmp_path / "hook-ran"
    hook = f"#!/bin/sh\necho $0 >> {marker}\n"
    for folder in (runner / ".git/hooks", runner / "planted-hooks"):
        folder.mkdir(exist_ok=True)
        for name in (
            "pre-commit",
            "commit-msg",
            "post-commit",
            "pre-push",
            "reference-transaction",
        ):
            (folder / name).write_text(hook)
            (folder / name).chmod(0o755)
    _git(runner, "config", "core.hooksPath", "planted-hooks")

    temp = tmp_path / "runner-temp"
    (temp / "entry").mkdir(parents=True)
    entry = _entry("classification", "cifar10-classifier", "v4", 11)
    (temp / "entry/deployment-entry.json").write_text(json.dumps(entry.to_dict()))
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "uv").write_text(f'#!/bin/sh\nshift 3\nexec "{sys.executable}" "$@"\n')
    (shims / "uv").chmod(0o755)
    gitconfig = tmp_path / "gitconfig"
    token_url = "https://x-access-token:tok@github.com/acme/demo.git"
    gitconfig.write_text(f'[url "{origin.as_uri()}"]\n\tinsteadOf = {token_url}\n')
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(temp), "GH_TOKEN": "tok", "GITHUB_REPOSITORY": "acme/demo",
           "BRANCH": "main", "GIT_CONFIG_GLOBAL": str(gitconfig),
           "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    proc = subprocess.run(
        ["bash", "-c", script], cwd=runner, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the branch moved on (attempt 1)" in proc.stdout
    assert not marker.exists(), marker.read_text()
    tip = json.loads(
        _git(other, "--git-dir", str(origin), "show", "main:apps/viewer/deployment.json")
    )
    assert {t: e["version"] for t, e in tip["models"].items()} == {
        "classification": "v4",
        "segmentation": "v1",
    }
    # a second run of the same entry (a re-run job) commits nothing
    _git(runner, "fetch", "-q", "origin")
    _git(runner, "reset", "-q", "--hard", "origin/main")
    proc = subprocess.run(
        ["bash", "-c", script], cwd=runner, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and "nothing to commit" in proc.stdout, proc.stderr


def test_ci_lints_with_the_locked_ruff():
    """`uvx ruff@X` drifts from the ruff uv.lock pins; CI runs the locked one, as .ci/run does."""
    lint = yaml_dump(load_workflow("ci.yml")["jobs"]["lint"])
    assert "uv run ruff check ." in lint and "uv run ruff format --check ." in lint
    assert "uvx" not in lint


def test_the_browser_tests_run_in_ci_and_may_not_skip():
    """One job installs Debian's chromium where viewer.browser looks for it, runs the browser
    test and the bench's browser leg, and fails on the skip reason those tests give."""
    from viewer.browser import CHROMIUM, MISSING

    job = load_workflow("ci.yml")["jobs"]["viewer-browser"]
    assert job["container"].startswith("debian:")  # Debian's package installs /usr/bin/chromium
    assert str(CHROMIUM) == "/usr/bin/chromium"
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert "apt-get install" in scripts and " chromium " in scripts
    assert "apps/viewer/tests/test_browser.py" in scripts
    assert "apps/viewer/tests/test_lazy_imports.py" in scripts
    (guard,) = [line for line in scripts.splitlines() if line.strip().startswith("if grep -q")]
    reason = guard.split('"')[1]
    assert MISSING.startswith(reason), (reason, MISSING)  # the grep still matches the skip reason
    assert "exit 1" in scripts and "-rs" in scripts
