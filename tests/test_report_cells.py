"""The notebooks' Report cell builds the same report as the CLI (`<task>-sweep`, `wb-demo report`).

Each notebook writes the `wandb_workspaces.reports.v2` calls in a cell, so the audience sees them;
the CLI builds the report with `wb_common.report.build_report`. Both read one spec
(`<pkg>.sweep.report_spec_for`, from REPORT_FACTS): this test runs each notebook's report cell on
that spec with the real `wr` classes (nothing is saved: no server) and compares the result with
`build_report` — an x-axis left out of a notebook (05 and 06 once, empty charts) fails here.

uv run --all-packages pytest tests/test_report_cells.py
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
import wandb_workspaces.reports.v2 as wr
from wb_common.report import REPORT_FACTS, build_report

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TASKS = {  # notebook -> (package, task)
    "01_image_classification.ipynb": ("cls_train", "image-classification"),
    "02_image_segmentation.ipynb": ("seg_train", "image-segmentation"),
    "03_image_detection.ipynb": ("det_train", "image-detection"),
    "04_video_classification.ipynb": ("video_train", "video-classification"),
    "05_llm_finetuning.ipynb": ("llm_train", "llm-finetuning"),
    "06_image_generation.ipynb": ("gen_train", "image-generation"),
}


def report_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and "wr.Report(" in "".join(c["source"])
    ]
    assert len(found) == 1, f"{notebook.name}: expected one cell that builds wr.Report(...)"
    return found[0]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_notebook_report_cell_equals_the_cli_report(name):
    package, task = TASKS[name]
    sweep = importlib.import_module(f"{package}.sweep")
    spec = {**sweep.report_spec_for("sweep-abc123", sweep.SWEEP_CONFIG, 3), "entity": "demo-team"}
    source = report_cell(NOTEBOOKS / name)
    assert "report.save()" not in source.split("wr.Report(")[0]  # built first, saved later
    namespace = {"spec": dict(spec)}
    exec(compile(source, name, "exec"), namespace)
    report = namespace["report"]
    assert repr(report) == repr(build_report(spec, wr))
    line_plots = [p for p in report.blocks[-1].panels if isinstance(p, wr.LinePlot)]
    assert line_plots and {p.x for p in line_plots} == {REPORT_FACTS[task].x_axis}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_notebook_takes_its_report_facts_from_the_package(name):
    """No title, metric list or x-axis typed into the notebook: they come from report_spec_for."""
    package, _ = TASKS[name]
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    assert f"from {package}.sweep import" in text and "report_spec_for(" in text
    assert not re.search(r"x\s*=\s*\\\"(epoch|train/step|train/global_step)", text)


@pytest.mark.parametrize(("package", "task"), sorted(TASKS.values()), ids=lambda v: str(v))
def test_the_sweep_and_the_report_name_one_metric_and_goal(package, task):
    """REPORT_FACTS holds each task's metric and goal for the report and for notebook 07's
    choice of version (wb_common.promotion.compared_on); the sweep optimizes the same."""
    metric = importlib.import_module(f"{package}.sweep").SWEEP_CONFIG["metric"]
    assert (metric["name"], metric["goal"]) == (REPORT_FACTS[task].metric, REPORT_FACTS[task].goal)
