"""The comparison Report: built with the real wandb_workspaces classes, queued offline.

uv run --package wb-common pytest packages/wb-common/tests/test_report.py
"""

from __future__ import annotations

import json
import types

import pytest
import wandb_workspaces.reports.v2 as wr
from wb_common import create_report, find_run_dirs, report_spec, start_run
from wb_common.cli import REPLAYERS
from wb_common.pending import PENDING_FILE, REFUSED, pending_actions, queue_action, replay
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


# A planted report line's spec -> what it asks for that the run's own report never does.
PLANTED = [
    {"project": "wandb-e2e-demo-image-detection"},  # another project the user can write to
    {"entity": "victim-team"},  # another entity (this offline run recorded none)
    {"title": "t" * 257},
    {"description": "d" * 4097},
    {"group": "x' or Metric('Group') != 'x"},  # would rewrite the runset's filter expression
    {"line_metrics": ["val/acc"] * 17},  # one line plot each
    {"params": ["lr"] * 65},  # one parallel-coordinates column each
    {"metric": ["val/acc"]},
    {"blocks": []},  # a field build_report does not read
]


def _recording_replay(monkeypatch, saved):
    """wb_common.report's publish_report through the `wr` test double (records save())."""
    import wb_common.report

    recording = make_recording_wr(saved)
    monkeypatch.setattr(
        wb_common.report,
        "publish_report",
        lambda spec, api=None: publish_report(spec, api=api, wr=recording),
    )


def test_a_planted_report_is_saved_nowhere_but_its_runs_own_project(offline_wandb, monkeypatch):
    """Test doubles of `wr` and `wandb.Api`. Before: a report line's spec was replayed wherever
    it pointed (another project or entity the syncing user can write to), whatever it held."""
    run = start_run("image-classification", {})
    run.finish()
    (run_dir,) = find_run_dirs(offline_wandb)
    lines = [{"action": "report", "spec": {**make_spec(), **c}} for c in PLANTED]
    lines.append({"action": "report", "spec": make_spec()})  # the run's own: still saved
    (run_dir / PENDING_FILE).write_text("".join(json.dumps(x) + "\n" for x in lines))
    saved = []
    _recording_replay(monkeypatch, saved)
    out = replay(run_dir, types.SimpleNamespace(default_entity="demo-team"), REPLAYERS)
    assert [(r.entity, r.project) for r in saved] == [
        ("demo-team", "wandb-e2e-demo-image-classification")
    ]
    assert len(out) == len(lines) and out[-1].startswith("done: wr.Report(")
    for number, line in enumerate(out[:2], start=1):
        assert line.startswith(f"{REFUSED}{PENDING_FILE} {number}번째 줄: 이 폴더의 실행"), line
        assert "saves a report into" in line and "\n" not in line
    for number, line in enumerate(out[2:-1], start=3):
        assert line.startswith(f"skipped: {PENDING_FILE} line {number}: a report "), line


@pytest.mark.parametrize("changes", PLANTED[2:])
def test_only_a_bounded_report_is_queued(tmp_path, changes):
    """queue_action checks a report as replay will: before, any spec with a text project and
    title was written, and `wb-demo sync` replayed it."""
    with pytest.raises(ValueError, match="not a pending action: a report"):
        queue_action(tmp_path, {"action": "report", "spec": {**make_spec(), **changes}})
    assert not (tmp_path / PENDING_FILE).exists()


def test_a_report_naming_an_entity_must_name_its_runs_own(tmp_path, run_record):
    """A run that recorded an entity: its report may name that entity, or none (the syncing
    user's default), never another. Dry run: nothing is called."""
    run_record(tmp_path, "demo-team/wandb-e2e-demo-image-classification/abcd1234")
    specs = [{**make_spec(), "entity": e} for e in ("demo-team", None, "victim-team")]
    queue = tmp_path / PENDING_FILE
    queue.write_text("".join(json.dumps({"action": "report", "spec": s}) + "\n" for s in specs))
    out = replay(tmp_path, None, REPLAYERS, dry_run=True)
    assert out[0].startswith(f"{REFUSED}{PENDING_FILE} 3번째 줄") and "victim-team/" in out[0]
    assert [line.split(":")[0] for line in out[1:]] == ["would call", "would call"]
