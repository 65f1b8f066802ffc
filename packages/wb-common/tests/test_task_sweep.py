"""`TaskSweep`: the sweep every task's sweep.py builds, run offline for real on W&B's own engine.

uv run --all-packages pytest packages/wb-common/tests/test_task_sweep.py -q

The "task" here is a toy: a dataclass config and a train() that records a real offline run whose
score depends on the suggested lr. Everything else — trial configs, the local sweeps engine, the
best trial's link into the queue, the report queued beside it — is the code the six tasks run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import wandb
from wb_common import find_run_dirs, log_model_artifact, read_run, start_run
from wb_common.artifacts import link_to_registry
from wb_common.card import ModelCard
from wb_common.pending import pending_actions
from wb_common.sweep import TaskSweep, trial_config


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    lr: float = 1e-3
    width: int = 8
    output_dir: Path = Path("out")
    group: str | None = None
    resume: bool = True
    sweep_trial: bool = False
    smoke: bool = True
    note: str = ""


SWEEP_CONFIG = {
    "method": "random",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-4, "max": 1e-2, "distribution": "log_uniform_values"},
        "width": {"values": [8, 16]},
    },
}
SMOKE_SWEEP_CONFIG = {**SWEEP_CONFIG, "parameters": {"lr": {"values": [1e-3, 1e-2]}}}


def toy_train(cfg: ToyConfig) -> SimpleNamespace:
    """A real offline run: logs the score, versions a model, links it (deferred in a sweep)."""
    with start_run("image-classification", cfg, group=cfg.group, job_type="train") as run:
        score = 1 - abs(math.log10(cfg.lr) + 3) / 5
        run.log({"val/acc": score, "epoch": 1})
        cfg.output_dir.mkdir(parents=True, exist_ok=True)
        weights = cfg.output_dir / "model.pth"
        weights.write_bytes(b"weights " + cfg.note.encode())
        card = ModelCard(
            "classification", "toy", "model.pth", ["a", "b"], metrics={"val/acc": score}
        )
        artifact = log_model_artifact(run, "toy-model", weights, card)
        link_to_registry(run, artifact, "toy-classifier-smoke", defer=cfg.sweep_trial)
    return SimpleNamespace(cfg=cfg, metrics={"val/acc": score}, run_dir=Path(run.sync_dir))


def checked(cfg: ToyConfig) -> None:
    if cfg.lr <= 0:
        raise ValueError("lr must be positive")


def test_trial_config_is_a_fresh_unlinked_run_in_its_own_folder(tmp_path):
    base = ToyConfig(output_dir=tmp_path)
    cfg = trial_config(base, {"lr": 0.01, "width": 16}, "sweep-x")
    assert (cfg.lr, cfg.width, cfg.group) == (0.01, 16, "sweep-x")
    assert cfg.output_dir == tmp_path / "sweep-x" / "trial-lr=1.00e-02-width=16"
    assert cfg.resume is False and cfg.sweep_trial is True
    assert base.resume is True  # the base config is not changed


def test_a_task_sweep_runs_offline_links_the_best_trial_once_and_queues_the_report(
    offline_wandb, tmp_path
):
    adjusted = []

    def adjust(cfg, params):
        adjusted.append(params)
        return dataclasses.replace(cfg, note=f"w{cfg.width}")

    task_sweep = TaskSweep("image-classification", SWEEP_CONFIG, toy_train, checked,
                           smoke_sweep_config=SMOKE_SWEEP_CONFIG, adjust_trial=adjust)  # fmt: skip
    base = ToyConfig(output_dir=tmp_path / "out")
    assert task_sweep.config_for(base) is SMOKE_SWEEP_CONFIG
    assert task_sweep.config_for(dataclasses.replace(base, smoke=False)) is SWEEP_CONFIG

    result = task_sweep.sweep(base, 3)
    assert len(result.trials) == 3 and len(adjusted) == 3
    assert all(t.params["lr"] in (1e-3, 1e-2) for t in result.trials)  # the smoke ranges
    runs = [read_run(d) for d in find_run_dirs(offline_wandb)]
    assert len(runs) == 3 and {r.group for r in runs} == {result.group}
    assert {r.config["note"] for r in runs} == {"w8"}  # adjust_trial reached train()
    # Only the best trial's run queued a link, once; its report spec names the swept params.
    queued = {d.name: pending_actions(d) for d in find_run_dirs(offline_wandb)}
    links = [a for actions in queued.values() for a in actions if a["action"] == "link"]
    assert len(links) == 1 and links[0]["target"] == "wandb-registry-model/toy-classifier-smoke"
    best_dir = result.best.run_dir
    (report,) = [a for a in pending_actions(best_dir) if a["action"] == "report"]
    assert report["spec"]["params"] == ["lr"] and report["spec"]["group"] == result.group
    assert report["spec"]["project"] == "wandb-e2e-demo-image-classification"
    assert json.loads((best_dir / "wb_demo_model.json").read_text())["artifact"] == "toy-model"


def test_a_bad_base_config_or_parameter_stops_before_any_trial(offline_wandb, tmp_path):
    refused = []

    def check_parameters(sweep_config, base):
        refused.append(sorted(sweep_config["parameters"]))
        raise ValueError("width is not a library argument")

    task_sweep = TaskSweep(
        "image-classification", SWEEP_CONFIG, toy_train, checked, check_parameters=check_parameters
    )
    with pytest.raises(ValueError, match="lr must be positive"):
        task_sweep.sweep(ToyConfig(lr=-1, output_dir=tmp_path), 2)
    with pytest.raises(ValueError, match="library argument"):
        task_sweep.sweep(ToyConfig(output_dir=tmp_path), 2)
    assert refused == [["lr", "width"]]
    assert find_run_dirs(offline_wandb) == []
    wandb.teardown()


def test_report_spec_is_the_tasks_report_facts():
    task_sweep = TaskSweep("image-classification", SWEEP_CONFIG, toy_train, checked)
    spec = task_sweep.report_spec("sweep-1", n_trials=3)
    assert spec["x_axis"] == "epoch" and spec["metric"] == "val/acc"
    assert spec["params"] == ["lr", "width"] and "실험 3개" in spec["description"]
