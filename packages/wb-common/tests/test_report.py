"""The comparison Report: built with the real wandb_workspaces classes, queued offline.

uv run --package wb-common pytest packages/wb-common/tests/test_report.py
"""

from __future__ import annotations

import types

import wandb_workspaces.reports.v2 as wr
from wb_common import create_report, find_run_dirs, report_spec, start_run
from wb_common.cli import REPLAYERS
from wb_common.pending import pending_actions, replay
from wb_common.report import build_report, publish_report


def make_spec(group="sweep-1"):
    return report_spec("image-classification", title="비교", description="설명", metric="val/acc",
                       params=["lr", "optimizer"], line_metrics=["val/acc", "train/loss"],
                       group=group)  # fmt: skip


def test_spec_builds_a_real_report_object():
    """Constructing the wr objects validates every field; only save() needs the server."""
    report = build_report({**make_spec(), "entity": "demo-team"}, wr)
    assert isinstance(report, wr.Report)
    assert report.project == "wandb-e2e-demo-image-classification"
    grid = report.blocks[-1]
    assert isinstance(grid, wr.PanelGrid)
    assert grid.runsets[0].filters == "Metric('Group') == 'sweep-1'"
    kinds = [type(p).__name__ for p in grid.panels]
    assert kinds == ["LinePlot", "LinePlot", "ParallelCoordinatesPlot",
                     "ParameterImportancePlot", "RunComparer"]  # fmt: skip


def test_offline_report_is_queued_beside_the_run(offline_wandb):
    run = start_run("image-classification", {})
    run.finish()
    (run_dir,) = find_run_dirs(offline_wandb)
    create_report(make_spec(), run_dir=run_dir)
    (queued,) = pending_actions(run_dir)
    assert queued == {"action": "report", "spec": make_spec()}


def make_recording_wr(saved):
    """A test double of `wandb_workspaces.reports.v2`: the real classes, except that Report
    builds the real `wr.Report` and records save() instead of calling the server."""

    class RecordingReport:
        def __init__(self, **fields):
            self.report = wr.Report(**fields)

        def save(self, draft=False, clone=False):
            saved.append(self.report)

        @property
        def url(self):
            return f"https://wandb.ai/{self.report.entity}/{self.report.project}/reports/test"

    names = {name: getattr(wr, name) for name in dir(wr) if not name.startswith("_")}
    return types.SimpleNamespace(**{**names, "Report": RecordingReport})


def test_publish_fills_the_entity_from_the_api_and_saves():
    """Publishes through a test double of `wr` and of `wandb.Api` (no server here)."""
    saved = []
    api = types.SimpleNamespace(default_entity="demo-team")
    url = publish_report(make_spec(), api=api, wr=make_recording_wr(saved))
    (report,) = saved
    assert report.entity == "demo-team" and report.title == "비교"
    assert url == "https://wandb.ai/demo-team/wandb-e2e-demo-image-classification/reports/test"


def test_sync_replays_a_queued_report(offline_wandb, monkeypatch):
    """Replays through test doubles of `wr` and `wandb.Api` (no server here)."""
    run = start_run("image-classification", {})
    run.finish()
    (run_dir,) = find_run_dirs(offline_wandb)
    create_report(make_spec(), run_dir=run_dir)
    saved = []
    import wb_common.report

    recording = make_recording_wr(saved)
    monkeypatch.setattr(
        wb_common.report,
        "publish_report",
        lambda spec, api=None: publish_report(spec, api=api, wr=recording),
    )
    lines = replay(run_dir, types.SimpleNamespace(default_entity="demo-team"), REPLAYERS)
    assert lines[0].startswith("done: wr.Report(")
    assert len(saved) == 1 and pending_actions(run_dir) == []
