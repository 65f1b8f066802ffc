"""Notebook 07's decisions with test doubles of the registry listing and the GitHub API:
zero, one and two versions (07 once raised StopIteration and ValueError there), real versus
smoke collections, settings from Colab secrets, and the Actions run followed to its end.

uv run --package wb-common pytest packages/wb-common/tests/test_promotion.py
"""

from __future__ import annotations

import sys
import types

import pytest
from wb_common.promotion import (
    PromotionError,
    deploy_settings,
    plan_promotion,
    review_collection,
    wait_for_workflow,
)
from wb_common.registry import VersionInfo


def version(n, acc, aliases=("staging",), collection="cifar10-classifier"):
    metrics = {"val/acc": acc} if acc is not None else {}
    return VersionInfo(collection=collection, version=f"v{n}", aliases=list(aliases),
                       metrics=metrics, run_path="t/p/r")  # fmt: skip


def test_zero_versions_give_no_candidate_and_a_sentence():
    plan = plan_promotion([], "cifar10-classifier")
    assert plan.candidate is None and plan.production is None and plan.rows == []
    assert "아직 버전이 없습니다" in plan.message and not plan.can_roll_back


def test_one_version_is_the_candidate_and_there_is_no_rollback_target():
    plan = plan_promotion([version(0, 0.8)], "cifar10-classifier")
    assert plan.candidate == "v0" and plan.production is None and not plan.can_roll_back


def test_one_version_already_in_production_promotes_nothing_new():
    plan = plan_promotion([version(0, 0.8, ("production",))], "cifar10-classifier")
    assert plan.candidate == "v0" and plan.production == "v0"
    assert "이미 production" in plan.message and not plan.can_roll_back


def test_two_versions_promote_the_better_one_and_keep_production_as_rollback_target():
    plan = plan_promotion([version(0, 0.9, ("production",)), version(1, 0.7)], "cifar10-classifier")
    assert plan.candidate == "v1" and plan.production == "v0" and plan.can_roll_back
    plan = plan_promotion(
        [version(0, 0.6), version(1, 0.9), version(2, None)], "cifar10-classifier"
    )
    assert plan.candidate == "v1" and plan.rows[2] == ("v2", "staging", None)


def test_smoke_versions_are_never_chosen_outside_smoke_mode():
    versions = [version(0, 0.5), version(0, 0.99, collection="cifar10-classifier-smoke")]
    assert plan_promotion(versions, review_collection(smoke=False)).candidate == "v0"
    smoke_plan = plan_promotion(versions, review_collection(smoke=True), smoke=True)
    assert smoke_plan.rows == [("v0", "staging", 0.99)]
    with pytest.raises(PromotionError, match="smoke"):
        plan_promotion(versions, "cifar10-classifier-smoke")


def test_deploy_settings_read_colab_secrets_first(monkeypatch):
    """A fake `google.colab.userdata`: 07 once read only os.environ and silently skipped."""
    secrets = {"GITHUB_TOKEN": "ghp_secret", "VIEWER_URL": "https://viewer.example"}

    def get(name):
        if name not in secrets:
            raise KeyError(name)
        return secrets[name]

    module = types.ModuleType("google.colab")
    module.userdata = types.SimpleNamespace(get=get)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", module)
    monkeypatch.setenv("GITHUB_TOKEN", "from-env")
    monkeypatch.setenv("WB_DEMO_GITHUB_REPO", "team/demo")
    monkeypatch.delenv("VIEWER_URL", raising=False)
    settings = deploy_settings()
    assert settings.github_token == "ghp_secret"  # the secret wins
    assert settings.github_repo == "team/demo"  # no secret: the environment
    assert settings.viewer_url == "https://viewer.example"


def github_double(states):
    """GitHub's `GET /repos/{repo}/actions/runs` answering one state per call."""
    calls = []

    def get(url, token):
        calls.append((url, token))
        i = min(len(calls) - 1, len(states) - 1)
        if states[i] is None:
            return {"workflow_runs": [{"created_at": "2026-11-29T00:00:00Z", "status": "completed",
                                       "conclusion": "success", "name": "old"}]}  # fmt: skip
        status, conclusion = states[i]
        return {"workflow_runs": [{"created_at": "2026-11-30T02:00:05Z", "status": status,
                                   "conclusion": conclusion, "name": "deploy-on-promotion",
                                   "run_number": 7, "html_url": "https://x"}]}  # fmt: skip

    return get, calls


def test_the_actions_run_is_followed_to_its_end_with_each_status_shown():
    get, calls = github_double(
        [None, ("queued", None), ("in_progress", None), ("in_progress", None),
         ("completed", "success")]
    )  # fmt: skip
    shown = []
    run = wait_for_workflow("team/demo", "tok", since="2026-11-30T02:00:00Z", get=get,
                            show=shown.append, sleep=lambda s: None)  # fmt: skip
    assert run["conclusion"] == "success"
    assert "기다리는 중" in shown[0]  # before the webhook's run appears (the old run is ignored)
    states = [line.split("#7: ")[1].split()[0] for line in shown[1:]]
    assert states == ["queued", "in_progress", "completed/success"]  # each change shown once
    assert calls[0] == (
        "https://api.github.com/repos/team/demo/actions/runs?event=repository_dispatch&per_page=5",
        "tok",
    )


def test_a_run_that_never_finishes_ends_in_one_sentence():
    get, _ = github_double([("in_progress", None)])
    with pytest.raises(PromotionError, match="Actions"):
        wait_for_workflow("team/demo", "tok", since="2026-11-30T02:00:00Z", get=get,
                          timeout=0, show=lambda s: None, sleep=lambda s: None)  # fmt: skip


def test_a_long_wait_shows_a_line_every_heartbeat_and_gives_up_in_minutes():
    """Notebook 07 once waited up to 600 s with one line; now a line every 30 s, 240 s at most."""
    get, _ = github_double([("queued", None)])
    now = [0.0]
    shown = []

    def sleep(seconds):
        now[0] += seconds

    with pytest.raises(PromotionError, match="240초"):
        wait_for_workflow("team/demo", "tok", since="2026-11-30T02:00:00Z", get=get,
                          show=shown.append, sleep=sleep, clock=lambda: now[0])  # fmt: skip
    waited = [line for line in shown if "초째 기다리는 중" in line]
    assert len(shown) == 1 + len(waited)  # the state once, then the heartbeats
    assert [line.split("초째")[0].rsplit(" ", 1)[-1] for line in waited] == [
        "30", "60", "90", "120", "150", "180", "210"
    ]  # fmt: skip


def scored(n, metrics, collection):
    return VersionInfo(collection=collection, version=f"v{n}", aliases=["staging"],
                       metrics=metrics, run_path="t/p/r")  # fmt: skip


@pytest.mark.parametrize(
    ("collection", "metric", "better", "worse"),
    [
        ("pet-segmenter", "val/mean_iou", 0.7, 0.4),  # higher is better
        ("qwen3-4b-ko-lora", "eval/perplexity", 3.1, 9.5),  # lower is better
        ("sd15-naruto-lora-smoke", "val/loss", 0.10, 0.30),  # a smoke twin: its task's metric
        ("digits-classifier", "val/acc", 0.95, 0.90),  # your own classifier: cls-train's val/acc
    ],
)
def test_versions_are_compared_on_their_tasks_metric_in_its_direction(
    collection, metric, better, worse
):
    """Every collection but the classifier once fell back to the newest version: they were all
    compared on val/acc, which they do not log (and perplexity must go down, not up)."""
    versions = [scored(0, {metric: better}, collection), scored(1, {metric: worse}, collection)]
    plan = plan_promotion(versions, collection, smoke=collection.endswith("-smoke"))
    assert plan.candidate == "v0", plan.message
    assert f"{metric}=" in plan.message
