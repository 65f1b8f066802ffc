"""Sweeps against a W&B server, with test doubles of `wandb.sweep`, `wandb.agent` and `wandb.Api`
(wb_testing.api_doubles; no server here): the pyagent teardown, joining a sweep with --sweep-id, the
one registry link of the best trial, and `wb-demo report --sweep` once every agent is done.

uv run --package wb-common pytest packages/wb-common/tests/test_sweep_server.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import wandb
import wandb_workspaces.reports.v2 as wr
import wb_common.sweep as sweep_module
from wandb.sdk.lib.asyncio_manager import AlreadyJoinedError
from wb_common import find_run_dirs, read_run, start_run
from wb_common.artifacts import MODEL_NOTE, link_noted_model
from wb_common.cli import Report, report_command
from wb_common.report import REPORT_FACTS, build_report
from wb_common.sweep import (
    SweepError,
    agent_trial,
    close_server_sweep,
    local_agent,
    parse_sweep_path,
    run_sweep,
)
from wb_testing.api_doubles import (
    ApiDouble,
    ArtifactDouble,
    RunDouble,
    SweepServerDouble,
    sweep_double,
)

SWEEP = {
    "method": "random",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {"lr": {"min": 1e-5, "max": 1e-2, "distribution": "log_uniform_values"}},
}
TASK = "image-classification"


def toy_trial(params, group):
    """A real offline run whose score is best near lr=1e-3."""
    run = start_run(TASK, params, group=group, job_type="sweep")
    score = 1 - abs(math.log10(params["lr"]) + 3) / 5
    run.log({"val/acc": score})
    run.finish()
    return SimpleNamespace(metrics={"val/acc": score}, run_dir=Path(run.sync_dir))


@pytest.fixture
def server(monkeypatch):
    """wandb.sweep/wandb.agent replaced by the double; run_sweep believes a server is there."""
    double = SweepServerDouble([{"lr": 1e-2}, {"lr": 1e-3}, {"lr": 1e-4}])
    monkeypatch.setattr(wandb, "sweep", double.sweep)
    monkeypatch.setattr(wandb, "agent", double.agent)
    monkeypatch.setattr(sweep_module, "resolve_mode", lambda smoke=False: "online")
    return double


def test_a_run_from_before_the_sweep_is_dead_after_the_agent(offline_wandb, server):
    """The notebook defect (02, 03, 04, 06 called run.finish() after wandb.agent): pyagent tears
    W&B down before each trial, so the notebook's training run must be finished before."""
    notebook_run = start_run(TASK, {"lr": 1e-3})
    run_sweep(SWEEP, toy_trial, task=TASK, count=1)
    with pytest.raises(AlreadyJoinedError):  # what Colab showed on stage
        notebook_run.finish()


def test_the_local_agent_tears_down_like_pyagent(offline_wandb):
    """Offline (smoke notebooks, CI) the same mistake fails too, not only online."""
    notebook_run = start_run(TASK, {"lr": 1e-3})
    trials = []
    trial = agent_trial(toy_trial, "g", trials, parameters=["lr"], mode="offline")
    local_agent(SWEEP, trial, count=1)
    assert len(trials) == 1
    with pytest.raises(AlreadyJoinedError):
        notebook_run.finish()


def test_a_finished_run_before_the_sweep_is_fine(offline_wandb, server):
    notebook_run = start_run(TASK, {"lr": 1e-3})
    notebook_run.finish()  # what the notebooks do now, before the sweep
    result = run_sweep(SWEEP, toy_trial, task=TASK, count=2)
    assert [t.params for t in result.trials] == [{"lr": 1e-2}, {"lr": 1e-3}]


def test_online_sweep_registers_then_runs_the_agent_in_the_sweeps_group(offline_wandb, server):
    result = run_sweep(SWEEP, toy_trial, task=TASK, count=3)
    (sweep_call, agent_call) = server.calls
    assert sweep_call == (
        "sweep",
        {"config": SWEEP, "entity": None, "project": "wandb-e2e-demo-image-classification"},
    )
    assert agent_call[1]["count"] == 3 and agent_call[1]["sweep_id"] == "abc123"
    assert result.group == "sweep-abc123" and result.sweep_id == "abc123"
    assert result.best.params == {"lr": 1e-3}
    assert result.link == "no model"  # toy trials log no model; real ones: see the task packages


def test_sweep_id_joins_the_server_sweep_without_creating_linking_or_reporting(
    offline_wandb, server, capsys
):
    result = run_sweep(SWEEP, toy_trial, task=TASK, count=2,
                       sweep_id="team/wandb-e2e-demo-image-classification/xyz789")  # fmt: skip
    assert [c[0] for c in server.calls] == ["agent"]  # no wandb.sweep: the sweep exists
    project = "wandb-e2e-demo-image-classification"
    assert server.calls[0][1] == {
        "sweep_id": "xyz789",
        "entity": "team",
        "project": project,
        "count": 2,
    }
    assert result.group == "sweep-xyz789"  # every agent's runs share it: the report's runset
    assert result.link is None  # other agents may still run: wb-demo report --sweep links
    assert "wb-demo report --sweep team/wandb-e2e-demo-image-classification/xyz789" in (
        capsys.readouterr().out
    )


def test_sweep_id_needs_the_server(offline_wandb):
    with pytest.raises(SweepError, match="--sweep-id"):
        run_sweep(SWEEP, toy_trial, task=TASK, count=1, sweep_id="team/proj/xyz")


@pytest.mark.parametrize("bad", ["xyz", "team/xyz", "team//xyz", "a/b/c/d"])
def test_a_sweep_path_is_entity_project_id(bad):
    with pytest.raises(SweepError, match="ENTITY/PROJECT/ID"):
        parse_sweep_path(bad)


def test_the_best_trials_noted_model_is_linked_once_online(tmp_path, run_record):
    """`link_noted_model` on an online trial's folder: found by name and digest through the API
    (test double), linked with staging; the second call links nothing."""
    note = {"action": "link", "run_path": "/wandb-e2e-demo-image-classification/r1",
            "artifact": "resnet18-cifar10", "digest": "d" * 32,
            "target": "wandb-registry-model/cifar10-classifier", "aliases": ["staging"],
            "offline": False}  # fmt: skip
    (tmp_path / MODEL_NOTE).write_text(json.dumps(note))
    run_record(tmp_path, note["run_path"])  # the folder's own run, as pending's replay checks
    model = ArtifactDouble("resnet18-cifar10:v0", digest="d" * 32)
    other = ArtifactDouble("resnet18-cifar10:v1", digest="e" * 32)
    path = "demo-team/wandb-e2e-demo-image-classification/r1"
    api = ApiDouble(runs={path: RunDouble(path, artifacts=[other, model])})
    assert link_noted_model(tmp_path, api=api) == "linked"
    assert model.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]
    assert other.links == []
    assert link_noted_model(tmp_path, api=api) == "already linked"
    assert len(model.links) == 1


class SweepApiDouble(ApiDouble):
    """ApiDouble plus `artifact(path)`: the version `staging` points to, with its model card's
    metrics in its metadata, or CommError when no version holds it (as the server answers)."""

    staging_metrics: dict[str, float] | None = None

    def artifact(self, path):
        if self.staging_metrics is None or not path.endswith(":staging"):
            raise wandb.errors.CommError(f"artifact {path} not found")
        return SimpleNamespace(metadata={"metrics": self.staging_metrics})


def _server_sweep(states=("finished", "finished", "finished"), staging=None):
    target = "wandb-registry-model/cifar10-classifier"
    runs = [
        RunDouble(
            f"team/wandb-e2e-demo-image-classification/r{i}",
            config={"lr": lr, "registry_target": target},
            summary={"val/acc": acc},
            state=state,
            artifacts=[ArtifactDouble(f"resnet18-cifar10:v{i}")],
        )
        for i, (lr, acc, state) in enumerate(
            zip((1e-2, 1e-3, 1e-4), (0.5, 0.9, 0.7), states, strict=True)
        )
    ]
    path = "team/wandb-e2e-demo-image-classification/abc123"
    api = SweepApiDouble(sweeps={path: sweep_double(SWEEP, runs)})
    api.staging_metrics = staging
    return api, runs, path


def recording_wr(saved):
    """reports.v2 with Report.save recorded instead of sent (a test double of the server)."""

    class RecordingReport(wr.Report):
        def save(self, draft=False, clone=False):
            saved.append(self)
            return self

        @property
        def url(self):
            return "https://wandb.ai/team/reports/test"

    names = {n: getattr(wr, n) for n in dir(wr) if not n.startswith("_")}
    return SimpleNamespace(**{**names, "Report": RecordingReport})


def test_report_sweep_keeps_staging_on_a_better_model(offline_wandb, capsys):
    """Test double: staging's card says val/acc 0.95; the best run (0.9) gets sweep-best only."""
    api, runs, path = _server_sweep(staging={"val/acc": 0.95})
    close_server_sweep(path, api=api, wr=recording_wr([]))
    assert runs[1].artifacts[0].links == [
        ("wandb-registry-model/cifar10-classifier", ["sweep-best"])
    ]
    assert "staging은 그대로 두고" in capsys.readouterr().out


def test_report_sweep_waits_for_every_agent(offline_wandb):
    api, runs, path = _server_sweep(states=("finished", "running", "finished"))
    with pytest.raises(SweepError, match="still running"):
        close_server_sweep(path, api=api, wr=recording_wr([]))
    assert all(a.links == [] for r in runs for a in r.artifacts)


def test_report_sweep_links_the_best_run_once_and_publishes_the_tasks_report(offline_wandb):
    api, runs, path = _server_sweep()
    saved = []
    result = close_server_sweep(path, api=api, wr=recording_wr(saved))
    assert result.link == "linked"
    assert runs[1].artifacts[0].links == [
        ("wandb-registry-model/cifar10-classifier", ["sweep-best", "staging"])
    ]  # the collection had no staging version: nothing better to keep
    assert runs[0].artifacts[0].links == [] and runs[2].artifacts[0].links == []
    assert runs[1].summary["registry_linked"] == "wandb-registry-model/cifar10-classifier"
    (report,) = saved
    facts = REPORT_FACTS[TASK]
    line_plots = [p for p in report.blocks[-1].panels if type(p).__name__ == "LinePlot"]
    assert {p.x for p in line_plots} == {facts.x_axis}
    assert report.blocks[-1].runsets[0].filters == "Metric('Group') == 'sweep-abc123'"
    assert report.entity == "team"
    # Second call: the report again, but no second link.
    assert close_server_sweep(path, api=api, wr=recording_wr([])).link == "already linked"
    assert len(runs[1].artifacts[0].links) == 1


def test_wb_demo_report_command_ends_with_one_sentence(offline_wandb, capsys):
    api, _, path = _server_sweep(states=("running", "finished", "finished"))
    assert report_command(Report(sweep=path), api=api, wr=recording_wr([])) == 1
    assert "아직 실행 중" in capsys.readouterr().err
    api, _, path = _server_sweep()
    assert report_command(Report(sweep=path), api=api, wr=recording_wr([])) == 0


def test_the_report_is_the_same_object_whoever_builds_it():
    """build_report is deterministic: the notebook test compares reprs of two builds."""
    spec = {
        **__import__("wb_common.report", fromlist=["x"]).sweep_report_spec(
            "llm-finetuning", group="g", params=["lr"]
        ),
        "entity": "team",
    }
    assert repr(build_report(spec, wr)) == repr(build_report(spec, wr))
    assert spec["x_axis"] == "train/global_step"


def test_a_link_that_fails_after_the_sweep_is_reported_not_raised(tmp_path, capsys, run_record):
    """The sweep's trials are done and recorded: a failing link must not lose the sweep."""
    note = {"action": "link", "run_path": "demo-team/p/r1", "artifact": "m", "digest": "d" * 32,
            "target": "wandb-registry-model/c", "aliases": [], "offline": False}  # fmt: skip
    (tmp_path / MODEL_NOTE).write_text(json.dumps(note))
    run_record(tmp_path, note["run_path"])
    api = ApiDouble(runs={"demo-team/p/r1": RunDouble("demo-team/p/r1", artifacts=[])})
    assert link_noted_model(tmp_path, api=api) == "failed"
    assert "연결하지 못했습니다" in capsys.readouterr().out


def test_a_trial_reads_its_parameters_from_run_config_offline(offline_wandb):
    """The trial as W&B's docs write it — `run = wandb.init()`, then `run.config[...]` — on the
    local engine: the suggestion is in run.config, the run is in the sweep's project, and the
    training inside (`start_run`) continues that run: one run per trial, holding its metric."""
    seen = []

    def trial():
        run = wandb.init(group="sweep-local", mode="offline")
        params = {name: run.config[name] for name in SWEEP["parameters"]}
        seen.append(params)
        with start_run(TASK, {**params, "epochs": 1}, group="sweep-local") as training:
            assert training is run  # joined, not a second run
            training.log({"val/acc": 0.5})
        return SimpleNamespace(metrics={"val/acc": 0.5})

    local_agent(SWEEP, trial, count=2, project="wandb-e2e-demo-image-classification")
    assert len(seen) == 2 and all(1e-5 <= p["lr"] <= 1e-2 for p in seen)
    runs = [read_run(d) for d in find_run_dirs(offline_wandb)]
    assert len(runs) == 2
    assert sorted(r.config["lr"] for r in runs) == sorted(p["lr"] for p in seen)
    assert all(r.config["epochs"] == 1 and r.summary["val/acc"] == 0.5 for r in runs)
    assert {(r.project, r.group) for r in runs} == {
        ("wandb-e2e-demo-image-classification", "sweep-local")
    }


def test_a_noted_model_in_a_folder_without_its_run_log_is_refused_not_reported_linked(tmp_path):
    """The note names a run the folder does not record (no .wandb log): pending refuses the
    line, and link_noted_model says so instead of "linked" (API test double; nothing linked)."""
    note = {"action": "link", "run_path": "team/wandb-e2e-demo-image-classification/r9",
            "artifact": "m", "digest": "d" * 32,
            "target": "wandb-registry-model/cifar10-classifier", "aliases": ["sweep-best"],
            "offline": False}  # fmt: skip
    (tmp_path / MODEL_NOTE).write_text(json.dumps(note))
    model = ArtifactDouble("m:v0", digest="d" * 32)
    api = ApiDouble(runs={note["run_path"]: RunDouble(note["run_path"], artifacts=[model])})
    assert link_noted_model(tmp_path, api=api) == "refused"
    assert model.links == []
