"""Notebook 07 online, run in order against a test double of the W&B server's Automation rule.

In `wb_testing.api_doubles.RegistryApiDouble` (a test double of `wandb.Api`), saving a version with
an alias it did not have fires the webhook only if a matching Automation exists at that moment:
event ADD_ARTIFACT_ALIAS on that collection with the alias `production`, action a webhook to an
integration that exists. The cells after the login cell run in one namespace, in order, as "Run
all" would; so a notebook that promotes before it creates the Automation fires nothing, as on a
fresh account. The GitHub side is replaced at `wb_common.promotion` (`wait_for_workflow`,
`github_get`), which the cells import when they run.

uv run --all-packages pytest tests/test_notebook07_order.py
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest
import wandb
import wb_common.promotion as promotion
from wb_common.promotion import DeploySettings
from wb_testing.api_doubles import RegistryApiDouble
from wb_testing.fixtures import isolate_wandb

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_automations.ipynb"
AUTOMATION = "deploy-cifar10-classifier-on-production"


def run_cells(api: RegistryApiDouble, capsys, settings=None, edits=()) -> str:
    """Every code cell after the login cell, in order, in one namespace; `edits` are the
    (old, new) text replacements a presenter makes in the cells first. Returns the output."""
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    login = next(i for i, src in enumerate(cells) if "resolve_mode(" in src)
    cells = cells[login + 1 :]
    for old, new in edits:
        assert any(old in src for src in cells), f"07 has no {old!r} to switch"
        cells = [src.replace(old, new) for src in cells]
    namespace = {
        "os": __import__("os"),
        "wandb": wandb,
        "ONLINE": True,
        "SMOKE": False,
        "api": api,
        "ENTITY": "demo-team",
        "COLLECTION": "cifar10-classifier",  # what the login cell sets
        "settings": settings or DeploySettings(None, None, None),
    }
    for source in cells:
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.fixture
def offline_runs(tmp_path, monkeypatch):
    isolate_wandb(monkeypatch, tmp_path)  # the review run records offline
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def github(monkeypatch):
    """GitHub as the cells see it: each wait returns a finished run; deployment.json serves
    `served[model_type]`."""
    state = {"waits": [], "served": {}}

    def wait_for_workflow(repo, token, *, since, timeout, **kwargs):
        state["waits"].append({"repo": repo, "since": since, "timeout": timeout})
        return {"conclusion": "success", "html_url": "https://github.com/o/r/actions/runs/1"}

    def github_get(url, token):
        assert url.endswith("/contents/apps/viewer/deployment.json"), url
        models = {t: {"model_name": c, "version": v} for t, (c, v) in state["served"].items()}
        body = json.dumps({"schema": 1, "models": models}).encode()
        return {"content": base64.b64encode(body).decode(), "encoding": "base64"}

    monkeypatch.setattr(promotion, "wait_for_workflow", wait_for_workflow)
    monkeypatch.setattr(promotion, "github_get", github_get)
    return state


def two_versions(webhooks=("github-dispatch",), collection="cifar10-classifier"):
    versions = [(["production"], {"val/acc": 0.7}), (["staging"], {"val/acc": 0.9})]
    return RegistryApiDouble(collection, versions, webhooks=webhooks)


def test_run_all_creates_the_automation_first_so_the_promotion_fires_once(
    offline_runs, capsys, github
):
    api = two_versions()
    out = run_cells(api, capsys)
    assert list(api.automations_made) == [AUTOMATION]
    assert api.fired == [(AUTOMATION, "cifar10-classifier:v1", "production")]
    # the rollback switch is off: nothing moved back, no second webhook
    assert api.holder("production") == "v1" and api.holder("previous-production") == "v0"
    assert "Traceback" not in out


def test_a_fresh_account_without_the_webhook_is_told_what_to_click(offline_runs, capsys, github):
    api = two_versions(webhooks=())
    out = run_cells(api, capsys)
    assert "Team Settings → Webhooks" in out and "github-dispatch" in out
    assert "Traceback" not in out
    assert api.automations_made == {} and api.fired == []
    assert api.holder("production") == "v0"  # no promotion happened
    assert all(v.saves == 0 for v in api.versions)


def test_the_rollback_switch_rolls_back_and_waits_for_its_own_workflow(
    offline_runs, capsys, github
):
    settings = DeploySettings("token", "o/r", "https://viewer.example")
    api = two_versions()
    github["served"] = {"classification": ("cifar10-classifier", "v1")}
    out = run_cells(api, capsys, settings, edits=[("ROLLBACK = False", "ROLLBACK = True")])
    assert api.fired == [
        (AUTOMATION, "cifar10-classifier:v1", "production"),
        (AUTOMATION, "cifar10-classifier:v0", "production"),
    ]
    assert api.holder("production") == "v0" and api.holder("previous-production") == "v1"
    promoted, rolled_back = github["waits"]  # one wait each, never 600 s of silence
    assert rolled_back["since"] >= promoted["since"]
    assert all(w["repo"] == "o/r" and w["timeout"] <= 300 for w in github["waits"])
    assert "Traceback" not in out


@pytest.mark.parametrize(("served", "verdict"), [("v1", "일치"), ("v0", "불일치")])
def test_the_online_check_compares_the_served_version_with_the_promoted_one(
    offline_runs, capsys, github, served, verdict
):
    settings = DeploySettings("token", "o/r", "https://viewer.example")
    github["served"] = {"classification": ("cifar10-classifier", served)}
    out = run_cells(two_versions(), capsys, settings)
    line = next(row for row in out.splitlines() if "서빙" in row and "일치" in row)
    assert served in line and line.split()[-1] == verdict


def test_any_of_the_six_collections_is_chosen_in_one_variable(offline_runs, capsys, github):
    api = two_versions(collection="pet-segmenter")
    run_cells(api, capsys, edits=[('TASK = "image-classification"', 'TASK = "image-segmentation"')])
    name = "deploy-pet-segmenter-on-production"
    assert api.fired == [(name, "pet-segmenter:v1", "production")]
