"""The notebooks' install cell: one cell everywhere, reinstalls after a change, refuses old Pythons.

    WB_DEMO_COLAB_TWIN=1 uv run --all-packages pytest tests/colab/test_install_cell.py -v

The cell runs in real kernels here: a Colab twin (twin.py) for the reinstall, a Python 3.9 kernel
for the refusal. The identical-cells check runs everywhere (no twin needed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import twin  # tests/colab/twin.py (conftest.py puts it on the path)
from nbclient import NotebookClient

NOTEBOOKS = sorted((twin.REPO_ROOT / "notebooks").glob("*.ipynb"))
TWIN_ROOT = Path(os.environ.get("WB_DEMO_TWIN_DIR", Path.home() / ".cache" / "wb-demo-colab-twin"))
needs_twin = pytest.mark.skipif(
    os.environ.get("WB_DEMO_COLAB_TWIN") != "1",
    reason="the Colab-twin lane runs with WB_DEMO_COLAB_TWIN=1 (.ci/run sets it)",
)


def install_cell(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    cells = [source for source in code if "WB_DEMO_REPO" in source]
    assert len(cells) == 1, f"{path.name}: expected one install cell, found {len(cells)}"
    return cells[0]


def test_every_notebook_has_the_same_install_cell():
    """Only the package list and the minimum Python differ: one cell to read, fix and test."""
    variable = re.compile(r"^(PACKAGES|MIN_PYTHON) = .*$", re.MULTILINE)
    bodies = {path.name: variable.sub("", install_cell(path)) for path in NOTEBOOKS}
    assert len(set(bodies.values())) == 1, sorted(bodies)


def run_cell(source: str, kernel: str, jupyter_dir: Path, workdir: Path) -> str:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    client = NotebookClient(notebook, timeout=900, kernel_name=kernel, allow_errors=True)
    client.resources = {"metadata": {"path": str(workdir)}}
    client.execute()  # allow_errors: a failing cell leaves its error in the outputs
    outputs = notebook.cells[0].outputs
    return "".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in outputs)


def commit_of(twin_python: Path, name: str) -> str:
    script = (
        "import importlib.metadata as m, json, sys;"
        f"print(json.loads(m.distribution('{name}').read_text('direct_url.json'))"
        "['vcs_info']['commit_id'])"
    )
    return subprocess.run(
        [str(twin_python), "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()


@needs_twin
def test_rerun_after_a_new_commit_reinstalls(tmp_path: Path, monkeypatch):
    """pip keeps a same-version package from git; the cell notices the new commit and reinstalls."""
    repo = tmp_path / "repo"
    url = twin.snapshot_repo(repo)
    twin_python = twin.build_twin(TWIN_ROOT / "install-cell")
    twin.use_clean_env(monkeypatch, {"WB_DEMO_REPO": url, "WB_DEMO_REF": "main"})
    kernel = twin.write_kernelspec(tmp_path / "jupyter", twin_python)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    source = install_cell(NOTEBOOKS[0])

    first = run_cell(source, kernel, tmp_path / "jupyter", tmp_path)
    assert "Successfully installed" in first, first[-2000:]
    old = commit_of(twin_python, "wb-common")

    (repo / "CHANGED").write_text("a new commit on main\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "change"], cwd=repo, check=True)
    second = run_cell(source, kernel, tmp_path / "jupyter", tmp_path)
    new = commit_of(twin_python, "wb-common")
    assert new != old, second[-2000:]
    assert "Successfully uninstalled wb-common" in second
    assert f"(커밋 {new[:7]})" in second

    third = run_cell(source, kernel, tmp_path / "jupyter", tmp_path)
    assert "Successfully" not in third and "Requirement already" not in third, third[-2000:]


def python39() -> str | None:
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        found = sorted(Path(root, "versions").glob("3.9*/bin/python3.9"))
        if found:
            return str(found[-1])
    return shutil.which("python3.9")


@needs_twin
def test_old_python_gets_one_korean_sentence(tmp_path: Path, monkeypatch):
    """Python 3.9: one sentence naming the versions, and pip never runs (no resolver dump)."""
    python = python39()
    if python is None:
        pytest.skip("no Python 3.9 on this machine")
    venv = tmp_path / "py39"
    env = twin.clean_env()
    subprocess.run(["uv", "venv", "--python", python, str(venv)], check=True, env=env)
    subprocess.run(
        ["uv", "pip", "install", "--python", str(venv / "bin" / "python"), "ipykernel<7"],
        check=True,
        env=env,
    )
    kernel = twin.write_kernelspec(tmp_path / "jupyter", venv / "bin" / "python", "py39")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    output = run_cell(install_cell(NOTEBOOKS[0]), kernel, tmp_path / "jupyter", tmp_path)
    assert "파이썬 3.10 이상에서 실행됩니다(지금 3.9" in output, output
    assert "Requirement" not in output and "ERROR:" not in output, output
