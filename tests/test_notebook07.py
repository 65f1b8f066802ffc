"""Notebook 07 online, its cells run in order against test doubles of the W&B server and GitHub.

`wb_testing.api_doubles.RegistryApiDouble` is a test double of `wandb.Api` for one Registry
collection that keeps the server's rule: saving a version with an alias it did not have fires the
webhook only if a matching Automation exists at that moment (event ADD_ARTIFACT_ALIAS on that
collection with the alias `production`, action a webhook to an integration that exists). The cells
after the login cell run in one namespace, in order, as "Run all" would, with `ONLINE = True`; so a
notebook that promoted before it created the Automation would fire nothing, as on a fresh account.
GitHub is a test double too, patched at `wb_common.promotion` (`wait_for_workflow`, `github_get`),
which the cells import when they run. Scenarios: zero, one or two versions (07 once raised
StopIteration with one and ValueError with none), an Automation already there, the webhook
integration missing, rollback off by default and on, the served-version check, the wait giving up
with a sentence, another of the six collections chosen. The offline rehearsal runs in
tests/test_notebooks.py (`-k 07`).

uv run --all-packages pytest tests/test_notebook07.py
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import nbformat
import pytest
import wandb
import wb_common.promotion as promotion
from wb_common.promotion import DeploySettings
from wb_common.readback import RecordedRun, find_run_dirs, read_run
from wb_common.registry import create_automation, promote
from wb_common.tasks import TASKS
from wb_testing.api_doubles import RegistryApiDouble, RegistryVersionDouble
from wb_testing.fixtures import isolate_wandb

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_automations.ipynb"
AUTOMATION = "deploy-cifar10-classifier-on-production"
GITHUB = DeploySettings("token", "o/r", "https://viewer.example")
TWO_VERSIONS = [(["production"], {"val/acc": 0.7}), (["staging"], {"val/acc": 0.9})]


def code_cells() -> list[str]:
    return [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]


def run_cells(api: RegistryApiDouble, capsys, settings=None, edits=()) -> dict:
    """Every code cell after the login cell, in order, in one namespace, as the kernel would run
    them; `edits` are the (old, new) text replacements a presenter makes in the cells first.

    The namespace comes back with `output` (stdout + stderr) and `aliases_after_promotion`
    (every version's aliases right after the promotion cell)."""
    cells = code_cells()
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
        if "artifact.save()" in source:
            namespace["aliases_after_promotion"] = aliases(api)
    captured = capsys.readouterr()
    namespace["output"] = captured.out + captured.err
    return namespace


def aliases(api: RegistryApiDouble) -> dict[str, list[str]]:
    return {v.version: sorted(v.aliases) for v in api.versions}


def two_versions(webhooks=("github-dispatch",), collection="cifar10-classifier"):
    return RegistryApiDouble(collection, TWO_VERSIONS, webhooks=webhooks)


def cli_promotion(versions, candidate: str) -> dict[str, list[str]]:
    """The aliases `wb-demo promote cifar10-classifier <candidate>` leaves on the same registry."""
    reference = RegistryApiDouble("cifar10-classifier", versions)
    promote(reference, "cifar10-classifier", candidate)
    return aliases(reference)


@pytest.fixture
def offline_runs(tmp_path, monkeypatch):
    isolate_wandb(monkeypatch, tmp_path)  # the review run records offline
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def github(monkeypatch):
    """GitHub as the cells see it (a test double): deployment.json serves `served[model_type]`;
    each wait returns a finished run, or, with `stuck`, the real `wait_for_workflow` follows a run
    that stays in progress on a clock that moves only when it sleeps."""
    state = {"waits": [], "served": {}, "stuck": False}
    real_wait = promotion.wait_for_workflow

    def github_get(url, token):
        if "/actions/runs?" in url:
            run = {"created_at": "9999-01-01T00:00:00Z", "status": "in_progress", "run_number": 1}
            return {"workflow_runs": [run]}
        assert url.endswith("/contents/apps/viewer/deployment.json"), url
        models = {t: {"model_name": c, "version": v} for t, (c, v) in state["served"].items()}
        body = json.dumps({"schema": 1, "models": models}).encode()
        return {"content": base64.b64encode(body).decode(), "encoding": "base64"}

    def wait_for_workflow(repo, token, *, since, timeout, **kwargs):
        state["waits"].append({"repo": repo, "since": since, "timeout": timeout})
        if not state["stuck"]:
            return {"conclusion": "success", "html_url": "https://github.com/o/r/actions/runs/1"}
        now = [0.0]  # a clock that moves only when the wait sleeps
        clock = {"sleep": lambda s: now.append(now[-1] + s), "clock": lambda: now[-1]}
        return real_wait(repo, token, since=since, timeout=timeout, get=github_get, **clock)

    monkeypatch.setattr(promotion, "wait_for_workflow", wait_for_workflow)
    monkeypatch.setattr(promotion, "github_get", github_get)
    return state


class RecordedAliases(list):
    """A version's alias list that records `append` with the file of the line that called it."""

    def __init__(self, items, version: str, log: list) -> None:
        super().__init__(items)
        self.version, self.log = version, log

    def append(self, alias: str) -> None:
        self.log.append(("append", self.version, alias, sys._getframe(1).f_code.co_filename))
        super().append(alias)


@pytest.fixture
def calls(monkeypatch) -> list[tuple]:
    """Every api.artifact(), aliases.append() and save() on the registry double, in order, with
    the file that made the call (the notebook's cells are compiled under its path) and, for a
    save, the collection's aliases at that moment."""
    log: list[tuple] = []
    artifact, save = RegistryApiDouble.artifact, RegistryVersionDouble.save

    def set_aliases(self, value):
        self.__dict__["_aliases"] = RecordedAliases(value, self.version, log)

    def recorded_artifact(self, path):
        log.append(("artifact", path, sys._getframe(1).f_code.co_filename))
        return artifact(self, path)

    def recorded_save(self):
        caller = sys._getframe(1).f_code.co_filename
        save(self)
        log.append(("save", self.version, caller, aliases(self._registry)))

    monkeypatch.setattr(
        RegistryVersionDouble,
        "aliases",
        property(lambda self: self.__dict__["_aliases"], set_aliases),
        raising=False,
    )
    monkeypatch.setattr(RegistryApiDouble, "artifact", recorded_artifact)
    monkeypatch.setattr(RegistryVersionDouble, "save", recorded_save)
    return log


def review_run(workdir: Path) -> RecordedRun:
    """The one offline run 07 recorded (its promotion review), read back."""
    (run,) = [read_run(path) for path in find_run_dirs(workdir / "runs")]
    return run


def cell_calls(log: list[tuple]) -> list[tuple]:
    """The calls written in notebook 07's cells (not those inside wb_common)."""
    return [entry for entry in log if str(NOTEBOOK) in entry]


def test_zero_versions_skip_every_step_with_a_sentence(offline_runs, capsys, calls):
    api = RegistryApiDouble("cifar10-classifier", [], webhooks=("github-dispatch",))
    ns = run_cells(api, capsys)
    assert ns["candidate"] is None and api.fired == [] and calls == []  # the Automation is ready
    assert "아직 버전이 없습니다" in ns["output"]


def test_one_version_is_promoted_and_nothing_is_rolled_back(offline_runs, capsys, calls):
    versions = [(["staging"], {"val/acc": 0.8})]
    api = RegistryApiDouble("cifar10-classifier", versions, webhooks=("github-dispatch",))
    ns = run_cells(api, capsys)
    assert ns["candidate"] == "v0" and api.holder("production") == "v0"
    # the review read the reviewed collection alone, as the viewer's versions tab does
    assert api.listed == [("model", "demo-team/wandb-registry-model/cifar10-classifier")]
    assert "롤백은 꺼져 있습니다" in ns["output"]
    path, nb = "wandb-registry-model/cifar10-classifier:v0", str(NOTEBOOK)
    # The cell itself fetched the version, appended production and saved it; the webhook's save.
    assert cell_calls(calls) == [
        ("artifact", path, nb),
        ("append", "v0", "production", nb),
        ("save", "v0", nb, {"v0": ["latest", "production", "staging"]}),
        ("artifact", path, nb),  # the aliases printed after
    ]
    assert ns["aliases_after_promotion"] == cli_promotion(versions, "v0")


def test_run_all_on_a_fresh_account_creates_the_automation_first_and_promotes_the_better(
    offline_runs, capsys, calls
):
    api = two_versions()
    ns = run_cells(api, capsys)
    assert list(api.automations_made) == [AUTOMATION]
    assert api.fired == [(AUTOMATION, "cifar10-classifier:v1", "production")]  # fired once
    assert ns["candidate"] == "v1" and ns["previous"] == "v0"
    nb = str(NOTEBOOK)
    path = "wandb-registry-model/cifar10-classifier:"
    assert [c[:3] if c[0] == "save" else c for c in cell_calls(calls)] == [
        ("artifact", path + "v1", nb),
        ("append", "v1", "production", nb),
        ("save", "v1", nb),  # the webhook's save: v0 loses production on the server
        ("artifact", path + "v0", nb),
        ("append", "v0", "previous-production", nb),
        ("save", "v0", nb),
        ("artifact", path + "v1", nb),
    ]
    # the same registry `wb-demo promote` leaves, so `wb-demo rollback` works after the notebook
    assert ns["aliases_after_promotion"] == cli_promotion(TWO_VERSIONS, "v1")
    # the rollback switch is off: nothing moved back, no second webhook
    assert api.holder("production") == "v1" and api.holder("previous-production") == "v0"
    assert "롤백은 꺼져 있습니다" in ns["output"] and "Traceback" not in ns["output"]


def test_an_automation_already_there_is_the_one_the_cli_makes_and_is_reused(offline_runs, capsys):
    api = two_versions()
    create_automation(api, "demo-team", "cifar10-classifier", "github-dispatch")  # wb-demo's
    ns = run_cells(api, capsys)
    (expected, expected_kwargs), (made, kwargs) = api.created
    assert made == expected  # the Automation written in the cell is the one the CLI makes
    assert kwargs["name"] == expected_kwargs["name"] and kwargs["fetch_existing"] is True
    assert list(api.automations_made) == [AUTOMATION] and "(이미 있던 것)" in ns["output"]
    assert api.fired == [(AUTOMATION, "cifar10-classifier:v1", "production")]


def test_a_fresh_account_without_the_webhook_is_told_what_to_click(
    offline_runs, capsys, github, tmp_path
):
    api = two_versions(webhooks=())
    out = run_cells(api, capsys)["output"]
    assert "Team Settings → Webhooks" in out and "github-dispatch" in out
    assert "Traceback" not in out
    assert api.automations_made == {} and api.fired == []
    assert api.holder("production") == "v0"  # no promotion happened
    assert all(v.saves == 0 for v in api.versions)
    # the deployment record says nothing was deployed; it names no version that was never promoted
    review = review_run(tmp_path)
    assert not [key for key in review.history_keys if key.startswith("deployment/")]
    assert "배포하지 않았으므로 배포 기록은 남기지 않습니다" in out


def test_the_deployment_record_names_the_promoted_version(offline_runs, capsys, tmp_path):
    run_cells(two_versions(), capsys)
    review = review_run(tmp_path)
    assert review.metric("deployment/version") == [1]  # v1 was promoted


def test_the_rollback_switch_rolls_back_and_waits_for_its_own_workflow(
    offline_runs, capsys, github
):
    api = two_versions()
    github["served"] = {"classification": ("cifar10-classifier", "v1")}
    ns = run_cells(api, capsys, GITHUB, edits=[("ROLLBACK = False", "ROLLBACK = True")])
    assert api.fired == [
        (AUTOMATION, "cifar10-classifier:v1", "production"),
        (AUTOMATION, "cifar10-classifier:v0", "production"),
    ]
    assert api.holder("production") == "v0" and api.holder("previous-production") == "v1"
    promoted, rolled_back = github["waits"]  # one wait each, never 600 s of silence
    assert rolled_back["since"] >= promoted["since"]
    assert all(w["repo"] == "o/r" and w["timeout"] <= 300 for w in github["waits"])
    assert "Traceback" not in ns["output"]


@pytest.mark.parametrize(("served", "verdict"), [("v1", "일치"), ("v0", "불일치")])
def test_the_online_check_compares_the_served_version_with_the_promoted_one(
    offline_runs, capsys, github, served, verdict
):
    github["served"] = {"classification": ("cifar10-classifier", served)}
    out = run_cells(two_versions(), capsys, GITHUB)["output"]
    line = next(row for row in out.splitlines() if "서빙" in row and "일치" in row)
    assert served in line and line.split()[-1] == verdict


def test_a_workflow_that_never_finishes_ends_the_wait_in_one_sentence(offline_runs, capsys, github):
    github["stuck"] = True
    github["served"] = {"classification": ("cifar10-classifier", "v0")}
    out = run_cells(two_versions(), capsys, GITHUB)["output"]
    assert "240초 안에 워크플로가 끝나지 않았습니다" in out and "Traceback" not in out
    assert out.count("초째 기다리는 중") == 7  # a line every 30 s, never minutes of silence
    assert "→ 불일치" in out  # the cells after the wait still run: the viewer serves v0


def test_any_of_the_six_collections_is_chosen_in_one_variable(
    offline_runs, capsys, github, tmp_path
):
    api = two_versions(collection="pet-segmenter")
    run_cells(api, capsys, edits=[('TASK = "image-classification"', 'TASK = "image-segmentation"')])
    name = "deploy-pet-segmenter-on-production"
    assert api.fired == [(name, "pet-segmenter:v1", "production")]
    # the review run is recorded in the chosen task's project, not the classifier's
    review = review_run(tmp_path)
    assert review.job_type == "promotion-review" and review.config["collection"] == "pet-segmenter"
    assert review.project == TASKS["image-segmentation"].project


def test_the_taught_calls_are_written_in_the_cells():
    code = "\n".join(code_cells())
    for call in (
        'api.artifacts(type_name="model"',  # the Registry listing
        "api.artifact(",
        'artifact.aliases.append("production")',
        "artifact.save()",
        'back.aliases.remove("previous-production")',  # the rollback's own alias move
        "ROLLBACK = False",
        "api.webhook_integrations(",
        "api.automations(",
        "OnAddArtifactAlias(",
        "SendWebhook.from_integration(",
        "event >> action",
        "api.create_automation(",
        "wait_for_workflow(",
        "show_port(",
        "deploy_settings()",
    ):
        assert call in code, f"07 does not write {call!r} in a cell"
    for name in ("GITHUB_TOKEN", "VIEWER_URL", "WB_DEMO_GITHUB_REPO"):
        assert f'os.environ.get("{name}")' not in code  # Colab secrets first: deploy_settings
    for hidden in ("list_versions(", "begin_promotion(", "finish_promotion(", "rollback(api"):
        assert hidden not in code, f"07 hides {hidden!r} in a helper; the plan puts it in a cell"
    # the Automation exists before any alias moves (W&B fires only what exists at that moment)
    assert code.index("api.create_automation(") < code.index('aliases.append("production")')


def test_07_speaks_to_the_audience():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert "워크플로우" not in text
    assert text.index("별칭(alias)") == text.index("별칭")
