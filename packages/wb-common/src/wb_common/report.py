"""The experiment-comparison Report, built with `wandb_workspaces.reports.v2`.

A report is described first as a plain, JSON-able *spec* (`report_spec`). Online, `publish_report`
turns the spec into a `wr.Report` and saves it. Offline — where even building a Report with a
Runset needs the server — the spec is queued beside a run and `wb-demo sync` publishes it later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wb_common.pending import queue_action
from wb_common.run import project_name, resolve_mode


def report_spec(
    task: str,
    *,
    title: str,
    description: str,
    metric: str,
    params: list[str],
    line_metrics: list[str],
    group: str | None = None,
    x_axis: str = "epoch",
) -> dict[str, Any]:
    """What the report shows: runs of `group` (all runs when None), compared on `metric`.

    `line_metrics` are plotted against `x_axis` (e.g. "train/global_step" for TRL runs).
    """
    return {
        "entity": os.environ.get("WANDB_ENTITY"),
        "project": project_name(task),
        "title": title,
        "description": description,
        "metric": metric,
        "params": list(params),
        "line_metrics": list(line_metrics),
        "group": group,
        "x_axis": x_axis,
    }


def build_report(spec: dict[str, Any], wr: Any) -> Any:
    """The `wr.Report` for a spec; `wr` is `wandb_workspaces.reports.v2` (or a test double)."""
    runset = wr.Runset(
        entity=spec["entity"],
        project=spec["project"],
        name=spec["group"] or "all runs",
        filters=f"Metric('Group') == '{spec['group']}'" if spec["group"] else "",
    )
    panels = [
        *(
            wr.LinePlot(title=key, x=spec.get("x_axis", "epoch"), y=[key])
            for key in spec["line_metrics"]
        ),
        wr.ParallelCoordinatesPlot(
            columns=[wr.ParallelCoordinatesPlotColumn(metric=wr.Config(p)) for p in spec["params"]]
            + [wr.ParallelCoordinatesPlotColumn(metric=wr.SummaryMetric(spec["metric"]))]
        ),
        wr.ParameterImportancePlot(with_respect_to=spec["metric"]),
        wr.RunComparer(diff_only="split"),
    ]
    return wr.Report(
        entity=spec["entity"],
        project=spec["project"],
        title=spec["title"],
        description=spec["description"],
        blocks=[
            wr.H1(text=spec["title"]),
            wr.P(text=spec["description"]),
            wr.PanelGrid(runsets=[runset], panels=panels),
        ],
    )


def publish_report(spec: dict[str, Any], *, api: Any = None, wr: Any = None) -> str:
    """Save the report described by `spec` on the server and return its URL."""
    if wr is None:
        import wandb_workspaces.reports.v2 as wr
    if spec["entity"] is None:
        import wandb

        spec = {**spec, "entity": (api or wandb.Api()).default_entity}
    report = build_report(spec, wr)
    report.save()
    return report.url


def create_report(spec: dict[str, Any], *, run_dir: str | Path | None) -> str:
    """Publish now when a server is reachable; otherwise queue the spec beside `run_dir`.

    Returns the report URL, or the path of the queue the spec went into.
    """
    if resolve_mode() == "online":
        url = publish_report(spec)
        print(f"[wb-demo] report: {url}")
        return url
    if run_dir is None:
        raise ValueError("an offline report needs a run directory to be queued beside")
    path = queue_action(run_dir, {"action": "report", "spec": spec})
    print(f"[wb-demo] report queued (offline) in {path}; `wb-demo sync` publishes it.")
    return str(path)
