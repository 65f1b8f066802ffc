"""Sweeps: locally on W&B's own engine without a server; online through wandb.sweep/agent.

uv run --package wb-common pytest packages/wb-common/tests/test_sweep.py
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import wandb
import yaml
from wb_common import find_run_dirs, read_run, run_sweep, start_run
from wb_common.artifacts import MODEL_NOTE
from wb_common.pending import pending_actions
from wb_common.sweep import Trial, check_sweep_config, finish_sweep, local_agent
from wb_testing.api_doubles import ApiDouble, ArtifactDouble, RunDouble

SWEEP = {
    "method": "bayes",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-5, "max": 1e-2, "distribution": "log_uniform_values"},
        "batch_size": {"values": [32, 64, 128]},
        "optimizer": {"values": ["adam", "sgd", "adamw"]},
    },
}


def toy_trial(params, group):
    """A real offline run whose score depends on the parameters (best near lr=1e-3)."""
    run = start_run("image-classification", params, group=group, job_type="sweep")
    score = 1 - abs(math.log10(params["lr"]) + 3) / 5
    run.log({"val/acc": score, "epoch": 1})
    run.finish()
    return SimpleNamespace(metrics={"val/acc": score}, run_dir=Path(run.sync_dir))


def test_offline_sweep_runs_each_trial_as_its_own_run_in_one_group(offline_wandb):
    result = run_sweep(SWEEP, toy_trial, task="image-classification", count=3,
                       fields=["lr", "batch_size", "optimizer", "epochs"])  # fmt: skip
    assert result.sweep_id is None and len(result.trials) == 3
    for trial in result.trials:
        assert 1e-5 <= trial.params["lr"] <= 1e-2
        assert trial.params["batch_size"] in (32, 64, 128)
        assert trial.params["optimizer"] in ("adam", "sgd", "adamw")
        assert type(trial.params["lr"]) is float  # plain Python, not numpy
    runs = [read_run(d) for d in find_run_dirs(offline_wandb)]
    assert len({r.run_id for r in runs}) == 3
    assert {r.group for r in runs} == {result.group}
    assert result.best.metrics["val/acc"] == max(t.metrics["val/acc"] for t in result.trials)


@pytest.mark.parametrize("method", ["random", "bayes"])
def test_trials_that_seed_the_global_generators_still_get_new_suggestions(offline_wandb, method):
    """Each train() seeds Python's and numpy's global generators (transformers' set_seed, or by
    hand), which W&B's engine draws from: notebook 05's smoke sweep ran one suggestion twice. The
    engine keeps its own random state, and leaves the trial's seeding as the trial set it."""
    suggested, after_each = [], []

    def trial():
        run = wandb.init(mode="offline")
        suggested.append(dict(run.config))
        random.seed(0), np.random.seed(0)  # what a seeded train() leaves behind
        after_each.append((random.getstate(), np.random.get_state()[1].tolist()))
        run.finish()
        return SimpleNamespace(metrics={"val/acc": 0.5})

    random.seed(0), np.random.seed(0)
    local_agent({**SWEEP, "method": method}, trial, count=3)
    assert len({json.dumps(params, sort_keys=True) for params in suggested}) == 3, suggested
    assert (random.getstate(), np.random.get_state()[1].tolist()) == after_each[-1]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({**SWEEP, "method": "hyperband"}, "grid, random or bayes"),
        ({k: v for k, v in SWEEP.items() if k != "metric"}, "'metric'"),
        ({**SWEEP, "metric": {"name": "val/acc", "goal": "up"}}, "maximize or minimize"),
    ],
)
def test_bad_sweep_configs_fail_before_any_trial(broken, message):
    with pytest.raises(ValueError, match=message):
        check_sweep_config(broken)


def test_parameters_that_are_not_config_fields_are_refused():
    with pytest.raises(ValueError, match="optimizer are not fields"):
        run_sweep(
            SWEEP, toy_trial, task="image-classification", count=1, fields=["lr", "batch_size"]
        )


def test_online_sweep_uses_wandb_sweep_and_agent(offline_wandb, monkeypatch, tmp_path):
    """wandb.sweep and wandb.agent are replaced by test doubles (no server here); the double
    hands the trial its parameters the way the real agent does, through WANDB_SWEEP_PARAM_PATH."""
    calls = {}
    monkeypatch.setenv("WANDB_MODE", "online")

    def fake_sweep(config, project=None, entity=None):
        calls["sweep"] = (config, project)
        return "abc123"

    def fake_agent(sweep_id, function=None, count=None, project=None, entity=None):
        calls["agent"] = (sweep_id, count, project)
        for i in range(count):
            path = tmp_path / f"config-{i}.yaml"
            path.write_text(yaml.safe_dump({"lr": {"value": 10 ** -(i + 2)}}))
            monkeypatch.setenv("WANDB_SWEEP_PARAM_PATH", str(path))
            monkeypatch.setenv("WANDB_MODE", "offline")  # the trial's own run stays local
            wandb.teardown()  # as pyagent does before each trial: settings read afresh
            function()

    monkeypatch.setattr(wandb, "sweep", fake_sweep)
    monkeypatch.setattr(wandb, "agent", fake_agent)
    sweep = {**SWEEP, "parameters": {"lr": SWEEP["parameters"]["lr"]}}
    result = run_sweep(sweep, toy_trial, task="image-classification", count=2)
    assert calls["sweep"] == (sweep, "wandb-e2e-demo-image-classification")
    assert calls["agent"] == ("abc123", 2, "wandb-e2e-demo-image-classification")
    assert [t.params for t in result.trials] == [{"lr": 0.01}, {"lr": 0.001}]
    assert result.sweep_id == "abc123"
    assert result.best.params == {"lr": 0.001}


def test_params_slug_names_a_trial_folder():
    from wb_common.sweep import params_slug

    assert params_slug({"lr": 0.0003, "batch_size": 64}) == "lr=3.00e-04-batch_size=64"


class RegistryWithStaging(ApiDouble):
    """Test double of `wandb.Api` for the staging rule: the runs the link is replayed through,
    and `artifact("<collection>:staging")` holding the model card's metrics as the server keeps
    them in the version's metadata; no version holds the alias -> CommError, as on the server."""

    def __init__(self, runs, staging_metrics):
        super().__init__(runs=runs)
        self.staging_metrics = staging_metrics
        self.asked: list[str] = []

    def artifact(self, path):
        self.asked.append(path)
        if self.staging_metrics is None or not path.endswith(":staging"):
            raise wandb.errors.CommError(f"artifact {path} not found")
        return SimpleNamespace(
            metadata={"model_type": "classification", "metrics": self.staging_metrics}
        )


TARGET = "wandb-registry-model/cifar10-classifier"


def _noted_trial(tmp_path: Path, score: float, *, offline: bool, run_record) -> tuple[Trial, Any]:
    """A finished trial whose run folder noted its model (as `link_to_registry(defer=True)`)."""
    run_dir = tmp_path / "trial"
    run_dir.mkdir()
    note = {"action": "link", "run_path": "team/wandb-e2e-demo-image-classification/t1",
            "artifact": "resnet18-cifar10", "digest": "d" * 32, "target": TARGET,
            "aliases": ["staging"], "offline": offline}  # fmt: skip
    (run_dir / MODEL_NOTE).write_text(json.dumps(note))
    run_record(run_dir, note["run_path"])  # the folder's own run, as pending's replay checks
    model = ArtifactDouble("resnet18-cifar10:v3", digest="d" * 32)
    runs = {note["run_path"]: RunDouble(note["run_path"], artifacts=[model])}
    return Trial({"lr": 1e-3}, {"val/acc": score}, run_dir), (runs, model)


def test_a_weaker_best_trial_does_not_move_staging(tmp_path, run_record, capsys):
    """Online: staging holds a model card with val/acc 0.90; the sweep's best has 0.55 (a demo
    trial trains less). It is linked as sweep-best only; staging stays on the better model."""
    trial, (runs, model) = _noted_trial(tmp_path, 0.55, offline=False, run_record=run_record)
    api = RegistryWithStaging(runs, {"val/acc": 0.90})
    result = finish_sweep(SWEEP, [trial], group="sweep-x", sweep_id="x", api=api)
    assert api.asked == [f"{TARGET}:staging"]
    assert model.links == [(TARGET, ["sweep-best"])]
    assert result.staging_moved is False and result.link == "linked"
    out = capsys.readouterr().out
    assert "staging은 그대로 두고 sweep-best로만 연결합니다" in out and "0.9000" in out


def test_a_stronger_best_trial_moves_staging(tmp_path, run_record, capsys):
    trial, (runs, model) = _noted_trial(tmp_path, 0.95, offline=False, run_record=run_record)
    api = RegistryWithStaging(runs, {"val/acc": 0.90})
    result = finish_sweep(SWEEP, [trial], group="sweep-x", sweep_id="x", api=api)
    assert model.links == [(TARGET, ["sweep-best", "staging"])]
    assert result.staging_moved is True
    assert "좋아 staging을 옮깁니다" in capsys.readouterr().out


def test_minimize_compares_the_other_way(tmp_path, run_record):
    sweep = {**SWEEP, "metric": {"name": "val/acc", "goal": "minimize"}}
    trial, (runs, model) = _noted_trial(tmp_path, 0.95, offline=False, run_record=run_record)
    finish_sweep(sweep, [trial], group="g", api=RegistryWithStaging(runs, {"val/acc": 0.90}))
    assert model.links == [(TARGET, ["sweep-best"])]


def test_with_no_staging_version_the_best_trial_becomes_staging(tmp_path, run_record):
    trial, (runs, model) = _noted_trial(tmp_path, 0.55, offline=False, run_record=run_record)
    finish_sweep(SWEEP, [trial], group="g", api=RegistryWithStaging(runs, None))
    assert model.links == [(TARGET, ["sweep-best", "staging"])]


@pytest.mark.parametrize(
    ("staging", "aliases"),
    [
        ({"val/acc": 0.90}, ["sweep-best"]),
        ({"val/acc": 0.10}, ["sweep-best", "staging"]),
    ],
)
def test_offline_the_queued_link_compares_with_the_model_this_session_linked(
    tmp_path, staging, aliases, run_record
):
    """No Registry to read offline: the notebook passes its training run's card metrics."""
    trial, _ = _noted_trial(tmp_path, 0.55, offline=True, run_record=run_record)
    result = finish_sweep(SWEEP, [trial], group="g", staging=staging)
    (link,) = [a for a in pending_actions(trial.run_dir) if a["action"] == "link"]
    assert link["aliases"] == aliases and result.link == "queued"


def test_quiet_output_keeps_a_trials_chatter_out_of_the_cell(capfd):
    import logging
    import sys

    from wb_common.sweep import quiet_output

    chatty = logging.getLogger("ultralytics")
    handler = logging.StreamHandler(sys.__stderr__)  # bound at import, as Ultralytics does
    chatty.addHandler(handler)
    before = chatty.level
    chatty.setLevel(logging.INFO)  # as Ultralytics sets its logger up
    try:
        with quiet_output() as log:
            print("epoch 1/1 ...")
            print("tqdm bar", file=sys.stderr)
            chatty.info("YOLOv8n summary: 129 layers")
            assert chatty.level == logging.WARNING
        assert chatty.level == logging.INFO
        assert "epoch 1/1" in log.getvalue() and "tqdm bar" in log.getvalue()
        out = capfd.readouterr()
        assert out.out == "" and out.err == ""
    finally:
        chatty.removeHandler(handler)
        chatty.setLevel(before)
