"""Every notebook installs and runs on a twin of today's Colab (Python 3.13, Colab's packages).

    WB_DEMO_COLAB_TWIN=1 uv run --all-packages pytest tests/colab -v

`.ci/run` and ci.yml run this lane; without WB_DEMO_COLAB_TWIN=1 it is skipped (it needs Python
3.13, PyPI and ~15 minutes). For each notebook: a fresh twin (see twin.py), a Jupyter kernel from
it, and the notebook executed in smoke mode with its own install cell installing our packages with
`%pip` from a local git URL of the working tree (`WB_DEMO_REPO`). The test fails when

- any cell fails,
- the install changed a Colab package outside `twin.ALLOWED_CHANGES` (never torch, torchvision,
  numpy, pandas, pillow, pyarrow), printed pip's resolver-conflict banner or built a dependency
  from source,
- the run the notebook recorded lacks what the notebook teaches, or its sweep cell prints more
  than a line per trial (tests/notebook_checks.py, the same checks the uv-environment notebook
  test makes; `.ci/run` relies on this lane alone to execute the notebooks).

Each notebook's summary (what changed, how long install and run took) lands in `.colab-twin/`.
WB_DEMO_TWIN_INSTALL_ONLY=1 stops each notebook after its install cell: a two-minute check of
what a dependency change does to Colab.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
import twin  # tests/colab/twin.py (conftest.py puts it on the path)
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from notebook_checks import check_recorded, quiet_sweep_problems, warning_problems
from wb_testing.fixtures import isolate_wandb

NOTEBOOKS = sorted((twin.REPO_ROOT / "notebooks").glob("*.ipynb"))
OUTPUT = twin.REPO_ROOT / ".colab-twin"
TWIN_ROOT = Path(os.environ.get("WB_DEMO_TWIN_DIR", Path.home() / ".cache" / "wb-demo-colab-twin"))

pytestmark = pytest.mark.skipif(
    os.environ.get("WB_DEMO_COLAB_TWIN") != "1",
    reason="the Colab-twin lane runs with WB_DEMO_COLAB_TWIN=1 (.ci/run sets it)",
)


@pytest.fixture(scope="module")
def repo_url(tmp_path_factory) -> str:
    return twin.snapshot_repo(tmp_path_factory.mktemp("repo"))


def cell_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append("\n".join(output.get("traceback", [])))
    return "".join(parts)


def cell_seconds(cell) -> float:
    """Wall time nbclient recorded for one executed cell."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    seconds = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(seconds.total_seconds(), 1)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_colab_twin(path: Path, repo_url: str, tmp_path: Path, monkeypatch):
    started = time.monotonic()
    twin_python = twin.build_twin(TWIN_ROOT / path.stem)
    built = time.monotonic()
    before = twin.installed_versions(twin_python)

    # The kernel inherits this environment: W&B isolated and offline as in every test, the
    # network cut except for PyPI (pip must reach it, as on Colab), no uv venv, no pip.conf.
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.delenv("WANDB_SILENT")  # W&B prints in each cell what it prints on stage
    monkeypatch.setenv("NO_PROXY", "pypi.org,files.pythonhosted.org")
    monkeypatch.setenv("no_proxy", "pypi.org,files.pythonhosted.org")
    twin.use_clean_env(monkeypatch)
    monkeypatch.setenv("PATH", f"{twin_python.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WB_DEMO_SMOKE", "1")
    monkeypatch.setenv("WB_DEMO_REPO", repo_url)
    monkeypatch.setenv("WB_DEMO_REF", "main")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel = twin.write_kernelspec(tmp_path / "jupyter", twin_python)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)

    notebook = nbformat.read(path, as_version=4)
    install_only = os.environ.get("WB_DEMO_TWIN_INSTALL_ONLY") == "1"
    if install_only:  # a quick dependency check: what the install changes, nothing after it
        last = max(i for i, c in enumerate(notebook.cells) if "WB_DEMO_REPO" in c.source)
        notebook.cells = notebook.cells[: last + 1]
    client = NotebookClient(
        notebook, timeout=900, kernel_name=kernel, resources={"metadata": {"path": str(workdir)}}
    )
    failure = None
    try:
        client.execute()
    except (CellExecutionError, TimeoutError, RuntimeError) as err:  # DeadKernelError: RuntimeError
        failure = f"{type(err).__name__}: {str(err)[-3000:]}"
    finished = time.monotonic()

    OUTPUT.mkdir(exist_ok=True)
    nbformat.write(notebook, OUTPUT / path.name)
    install_cells = [c for c in notebook.cells if "WB_DEMO_REPO" in c.source and c.get("outputs")]
    pip_output = "".join(cell_text(c) for c in install_cells)
    changes = twin.changed_colab_packages(before, twin.installed_versions(twin_python))
    problems = twin.install_problems(changes, pip_output)
    if failure is not None:
        problems.append(f"a cell failed:\n{failure}")
    elif not install_only:
        problems += check_recorded(path.stem, tmp_path)  # runs/ and work/ are in it
        problems += quiet_sweep_problems(path.stem, notebook)
        problems += warning_problems(path.stem, notebook)

    summary = {
        "notebook": path.stem,
        "twin_build_s": round(built - started, 1),
        "install_cell_s": sum(map(cell_seconds, install_cells)),
        "notebook_s": round(finished - built, 1),
        "colab_changes": {name: f"{old} -> {new}" for name, (old, new) in sorted(changes.items())},
        "problems": problems,
    }
    (OUTPUT / f"{path.stem}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    assert not problems, "\n".join(problems)
