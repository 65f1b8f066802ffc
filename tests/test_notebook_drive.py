"""Notebooks 01–06 offer Google Drive for checkpoints, and name a resume command that works.

uv run --all-packages pytest tests/test_notebook_drive.py
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import types
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("0[1-6]_*.ipynb"))
PACKAGE = {"01": "cls", "02": "seg", "03": "det", "04": "video", "05": "llm", "06": "gen"}


def drive_block(notebook) -> tuple[str, str]:
    """(the `if KEEP_ON_DRIVE:` block of the config cell, the markdown above that cell)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "KEEP_ON_DRIVE = False" in cell.source:
            block = re.search(r"^if KEEP_ON_DRIVE:.*?(?=^\S)", cell.source, re.S | re.M).group(0)
            return block, notebook.cells[index - 1].source
    raise AssertionError("no KEEP_ON_DRIVE switch (off by default) in the config cell")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_drive_switch_moves_output_dir_and_names_the_resume_command(path, tmp_path, monkeypatch):
    """The cell's own code, run with the switch on and a stand-in `google.colab` (a test double:
    `drive.mount` records the mount point and the test points it into tmp_path)."""
    block, markdown = drive_block(nbformat.read(path, as_version=4))
    package = PACKAGE[path.name[:2]]
    config = importlib.import_module(f"{package}_train.config").Config()
    assert f"`!{package}-train --resume --output-dir" in markdown
    fields = {field.name for field in dataclasses.fields(config)}
    assert {"resume", "output_dir"} <= fields  # the command's flags exist

    mounted = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mounted.append)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.delenv("WB_DEMO_SMOKE", raising=False)
    resume = importlib.import_module("wb_common.resume")
    monkeypatch.setattr(
        resume.colab_output_dir,
        "__kwdefaults__",
        {"smoke": None, "mount_point": str(tmp_path / "drive")},
    )
    namespace = {"cfg": config, "dataclasses": dataclasses, "SMOKE": False, "KEEP_ON_DRIVE": True}
    exec(block, namespace)
    assert mounted == [str(tmp_path / "drive")]
    moved = Path(namespace["cfg"].output_dir)
    assert moved.is_relative_to(tmp_path / "drive") and moved.is_dir()
    assert Path(namespace["cfg"].output_dir).name == Path(config.output_dir).name
