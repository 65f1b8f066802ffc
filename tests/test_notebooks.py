"""Every notebook executes top to bottom in smoke mode (WB_DEMO_SMOKE=1), offline, on the CPU.

    uv run --all-packages pytest tests/test_notebooks.py

Each notebook runs in a fresh kernel of this environment, in an empty working folder, with W&B
isolated exactly as the package tests isolate it (no key, no network, folders under tmp).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from wb_common.testing import isolate_wandb

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_in_smoke_mode(path: Path, tmp_path: Path, monkeypatch):
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.setenv("WB_DEMO_SMOKE", "1")
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}
    }).execute()  # fmt: skip
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors


def test_notebooks_are_stored_without_outputs():
    """Committed notebooks carry no outputs: no stale numbers, no tracebacks, small diffs."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            assert not cell.get("outputs"), f"{path.name} stores outputs; clear them before commit"
