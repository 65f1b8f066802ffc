"""The habits a fork copies: license, Dependabot, pre-commit, code owners, security policy. Offline.

    uv run --all-packages pytest tests/test_template.py

check-jsonschema validates against the Dependabot schema it vendors (no download); pre-commit runs
only `repo: local` and `meta` hooks, so `pre-commit run` works here for real with no GitHub. The
hooks run with `--files` in a copy of the committed tree (never bare `pre-commit run` here, which
would stash the unstaged work of everyone sharing this checkout).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHECK_NOTEBOOKS = ROOT / "scripts" / "check_notebooks.py"
# Shaped like the real thing, valid for no service: built here so this file holds no such string.
FAKE_SECRETS = {
    "W&B API key": "0123456789abcdef" * 2 + "01234567",
    "GitHub token": "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8",
    "Hugging Face token": "hf_" + "AbCdEfGhIj" * 3 + "KlMn",
    "AWS access key id": "AKIA" + "ABCDEFGHIJ234567",
}


def tool(name: str) -> str:
    exe = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert exe, f"{name} is a dev dependency: run `uv sync --all-packages`"
    return exe


def run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, timeout=120, **kwargs
    )


def write_notebook(path: Path, source: str, outputs: list[dict] | None = None) -> Path:
    cell = {
        "cell_type": "code",
        "execution_count": 1 if outputs else None,
        "id": "c1",
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1))
    return path


# --- LICENSE and the documents the README links -----------------------------------------------


def test_license_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_readme_links_every_template_file():
    readme = (ROOT / "README.md").read_text()
    for target in [
        "LICENSE",
        "SECURITY.md",
        ".github/CODEOWNERS",
        ".github/dependabot.yml",
        ".pre-commit-config.yaml",
    ]:
        assert f"]({target})" in readme, f"README.md does not link {target}"
        assert (ROOT / target).is_file()
    assert "pre-commit install" in readme


def test_security_policy_names_the_settings_a_fork_needs():
    policy = (ROOT / "SECURITY.md").read_text()
    for must in [
        "Report a vulnerability",  # GitHub private vulnerability reporting
        "viewer-production",  # the environment holding WANDB_API_KEY, main only
        "WANDB_API_KEY",
        "weights_only=True",
        "ULTRALYTICS_SAFE_LOAD=1",
        "core.hooksPath",
        "deployment.json",
    ]:
        assert must in policy, must


# --- Dependabot ---------------------------------------------------------------------------------


def test_dependabot_config_matches_its_schema():
    dependabot = ROOT / ".github" / "dependabot.yml"
    proc = run(tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", dependabot)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependabot_schema_check_can_fail(tmp_path: Path):
    """The check above is real: a config Dependabot would reject is refused offline too."""
    bad = tmp_path / "dependabot.yml"
    bad.write_text(
        "version: 2\nupdates:\n  - package-ecosystem: uv\n    directory: /\n"
        "    schedule:\n      interval: hourly\n"
    )
    proc = run(tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", bad)
    assert proc.returncode != 0
    assert "hourly" in proc.stdout + proc.stderr


def test_dependabot_updates_the_action_pins_and_the_uv_lock():
    import yaml

    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"github-actions", "uv"}
    for update in ecosystems.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"


# --- CODEOWNERS -----------------------------------------------------------------------------------


def codeowners_rules() -> list[tuple[str, list[str]]]:
    rules = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def test_every_codeowners_path_exists_in_git():
    tracked = run("git", "ls-files", cwd=ROOT).stdout.splitlines()
    assert tracked, "git ls-files listed nothing"
    for pattern, owners in codeowners_rules():
        assert pattern.startswith("/") and "*" not in pattern, f"{pattern}: name a path from root"
        path = pattern.strip("/")
        if pattern.endswith("/"):
            assert any(f.startswith(path + "/") for f in tracked), f"{pattern} holds no file"
        else:
            assert path in tracked, f"CODEOWNERS names {pattern}, which git does not track"
        assert owners and all(o.startswith("@") for o in owners), pattern


def test_codeowners_guard_what_decides_the_deployed_model():
    patterns = [pattern for pattern, _ in codeowners_rules()]
    for must in [
        "/.github/workflows/deploy-on-promotion.yml",
        "/apps/viewer/deployment.json",
        "/apps/viewer/src/viewer/",
    ]:
        assert must in patterns, must


# --- pre-commit -----------------------------------------------------------------------------------


def test_pre_commit_config_is_valid():
    proc = run(tool("pre-commit"), "validate-config", ROOT / ".pre-commit-config.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def committed_tree(dest: Path) -> Path:
    """HEAD's files in a fresh git repository at `dest`.

    pre-commit fails a hook when any file changes while it runs ("files were modified by this
    hook"); in a checkout that others edit at the same time that happens at random. A copy of the
    committed tree is what CI checks out, and nobody else writes to it.
    """
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    dest.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    for args in (["init", "-q"], ["add", "-A"]):
        assert run("git", *args, cwd=dest).returncode == 0
    return dest


def pre_commit_run(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    repo = committed_tree(tmp_path / "repo")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["UV_PROJECT_ENVIRONMENT"] = sys.prefix  # the copy runs this environment's ruff
    env.pop("PRE_COMMIT", None)
    return run(tool("pre-commit"), "run", "--color=never", *args, cwd=repo, env=env)


@pytest.mark.skipif(shutil.which("uv") is None, reason="the hooks run the workspace tools via uv")
def test_pre_commit_hooks_pass_on_the_repository(tmp_path: Path):
    """Every hook really runs (ruff, notebooks, uv lock, meta) on the committed files."""
    files = [
        ".pre-commit-config.yaml",
        "scripts/check_notebooks.py",
        "tests/test_template.py",
        "pyproject.toml",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")),
    ]
    proc = pre_commit_run(tmp_path, "--files", *files)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for hook in ["ruff check", "ruff format", "notebooks store no error output", "uv.lock"]:
        assert any(hook in line and "Passed" in line for line in out.splitlines()), out
    assert "Check hooks apply to the repository" in out


@pytest.mark.skipif(shutil.which("uv") is None, reason="the hooks run the workspace tools via uv")
def test_pre_commit_refuses_a_notebook_with_a_key(tmp_path: Path):
    notebook = write_notebook(
        tmp_path / "leak.ipynb",
        f'import os\nos.environ["WANDB_API_KEY"] = "{FAKE_SECRETS["W&B API key"]}"',
    )
    proc = pre_commit_run(tmp_path, "check-notebooks", "--files", notebook)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "W&B API key" in proc.stdout


# --- the notebook check itself --------------------------------------------------------------------


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, CHECK_NOTEBOOKS, *paths)


def test_notebook_check_passes_the_real_notebooks():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 7
    proc = check(*notebooks)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_notebook_check_refuses_a_stored_error_output(tmp_path: Path):
    error = {
        "output_type": "error",
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
        "traceback": ["ZeroDivisionError: division by zero"],
    }
    notebook = write_notebook(tmp_path / "error.ipynb", "1 / 0", [error])
    proc = check(notebook)
    assert proc.returncode == 1
    assert "cell 1 stores an error output (ZeroDivisionError)" in proc.stdout
    assert "출력을 지우고" in proc.stderr  # the one Korean-first sentence saying what to do


@pytest.mark.parametrize("kind", sorted(FAKE_SECRETS))
def test_notebook_check_refuses_a_secret_in_source(tmp_path: Path, kind: str):
    notebook = write_notebook(tmp_path / "leak.ipynb", f'token = "{FAKE_SECRETS[kind]}"')
    proc = check(notebook)
    assert proc.returncode == 1
    assert f"holds something like a {kind}" in proc.stdout


def test_notebook_check_refuses_a_secret_printed_into_an_output(tmp_path: Path):
    printed = {"output_type": "stream", "name": "stdout", "text": [FAKE_SECRETS["GitHub token"]]}
    notebook = write_notebook(tmp_path / "printed.ipynb", "print(token)", [printed])
    proc = check(notebook)
    assert proc.returncode == 1
    assert "GitHub token" in proc.stdout


def test_notebook_check_refuses_an_aws_secret_assignment(tmp_path: Path):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "0123456789"
    notebook = write_notebook(tmp_path / "aws.ipynb", f'aws_secret_access_key = "{secret}"')
    assert "AWS secret access key" in check(notebook).stdout


def test_notebook_check_allows_what_only_resembles_a_secret(tmp_path: Path):
    """Short hex, a sha256 digest, `hf_hub_download` and a marked line are not keys."""
    source = "\n".join(
        [
            "run_id = 'a1b2c3d4'",
            f"digest = '{'ab' * 32}'  # sha256: 64 hex, not a 40-character key",
            "from huggingface_hub import hf_hub_download",
            f"PIN = '{FAKE_SECRETS['W&B API key']}'  # commit SHA, pragma: allowlist secret",
        ]
    )
    notebook = write_notebook(tmp_path / "clean.ipynb", source)
    proc = check(notebook)
    assert proc.returncode == 0, proc.stdout


def test_notebook_check_reports_an_unreadable_file(tmp_path: Path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    proc = check(broken)
    assert proc.returncode == 1
    assert "not a readable notebook" in proc.stdout
