"""The experiment-comparison Report, built with `wandb_workspaces.reports.v2`.

A report is described first as a plain, JSON-able *spec* (`report_spec`). Online, `publish_report`
turns the spec into a `wr.Report` and saves it. Offline — where even building a Report with a
Runset needs the server — the spec is queued beside a run and `wb-demo sync` publishes it later.

What each task's sweep report shows — title, the metric, the curves and their x-axis — is written
once, in `REPORT_FACTS`; `sweep_report_spec` reads it for the CLI (`<task>-sweep`, `wb-demo report
--sweep`) and for the notebooks, so the two can never plot against different axes again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wb_common.commands import sync_command
from wb_common.pending import queue_action
from wb_common.run import resolve_mode
from wb_common.tasks import project_name


@dataclass(frozen=True)
class ReportFacts:
    """What a task's sweep comparison report shows."""

    title: str  # Korean first: the report is read by the audience
    metric: str  # the sweep metric, e.g. "val/acc"
    line_metrics: tuple[str, ...]  # curves, plotted against `x_axis`
    x_axis: str  # the step key the task's runs log by (a wrong one gives empty charts)
    goal: str = "maximize"  # the sweep's goal for `metric`; notebook 07 compares versions by it


REPORT_FACTS: dict[str, ReportFacts] = {
    "image-classification": ReportFacts(
        "CIFAR-10 이미지 분류: 하이퍼파라미터 스윕 비교", "val/acc",
        ("val/acc", "val/loss", "train/loss"), "epoch",
    ),
    "image-segmentation": ReportFacts(
        "Oxford-IIIT Pet 이미지 분할: 하이퍼파라미터 스윕 비교", "val/mean_iou",
        ("val/mean_iou", "val/dice", "val/pixel_acc", "val/loss", "train/loss"), "epoch",
    ),
    "image-detection": ReportFacts(
        "YOLOv8n 객체 탐지: 하이퍼파라미터 스윕 비교", "val/mAP50",
        ("val/mAP50", "val/mAP50-95", "train/box_loss"), "epoch",
    ),
    "video-classification": ReportFacts(
        "UCF-101 동영상 분류: 하이퍼파라미터 스윕 비교", "val/acc",
        ("val/acc", "val/top5_acc", "val/loss", "train/loss"), "epoch",
    ),
    "llm-finetuning": ReportFacts(  # TRL logs by optimizer step
        "Qwen3-4B 한국어 QLoRA: 하이퍼파라미터 스윕 비교", "eval/perplexity",
        ("eval/perplexity", "eval/loss", "train/loss"), "train/global_step", "minimize",
    ),
    "image-generation": ReportFacts(  # diffusers loop: one point per optimizer step
        "SD 1.5 LoRA (나루토 스타일): 하이퍼파라미터 스윕 비교", "val/loss",
        ("train/loss", "val/loss"), "train/step", "minimize",
    ),
}  # fmt: skip


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


def sweep_report_spec(
    task: str,
    *,
    group: str | None,
    params: list[str],
    n_trials: int | None = None,
    metric: str | None = None,
) -> dict[str, Any]:
    """The spec of a sweep's comparison report, from the task's `REPORT_FACTS`.

    `params` are the swept parameters (the sweep config's `parameters`); `metric` overrides the
    task's when a sweep optimises another key.
    """
    facts = REPORT_FACTS[task]
    metric = metric or facts.metric
    trials = f"실험 {n_trials}개" if n_trials is not None else "실험들"
    return report_spec(
        task,
        title=facts.title,
        description=(
            f"스윕 그룹 {group or '전체'}의 {trials}을 {metric} 기준으로 비교합니다: 학습 곡선"
            f"(x축 {facts.x_axis}), 병렬 좌표, 파라미터 중요도. "
            f"Compares the sweep's runs on {metric}: curves over {facts.x_axis}, parallel "
            "coordinates, parameter importance."
        ),
        metric=metric,
        params=list(params),
        line_metrics=list(facts.line_metrics),
        group=group,
        x_axis=facts.x_axis,
    )


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
        print(f"[wb-demo] 리포트를 게시했습니다 (report): {url}")
        return url
    if run_dir is None:
        raise ValueError("an offline report needs a run directory to be queued beside")
    path = queue_action(run_dir, {"action": "report", "spec": spec})
    print(
        f"[wb-demo] 오프라인이라 리포트 명세를 {path}에 저장했습니다: `{sync_command()}`가 "
        "게시합니다. Report queued (offline)."
    )
    return str(path)


def replay_report(action: dict[str, Any], api: Any) -> None:
    """The queued report, published after `wandb sync` uploaded its runs."""
    publish_report(action["spec"], api=api)
