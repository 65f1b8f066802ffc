"""Notebook 07 online, against test doubles of the W&B API (wb_testing.api_doubles' registry double
with `Api.artifacts` added here; no server here).

Its cells run after the login cell with `ONLINE = True` and a registry holding zero, one or two
versions: the version chosen, the promotion (the cell's own `api.artifact(...)`,
`aliases.append("production")` and `save()`, recorded with the line that made them, then
`previous-production` on the old holder), and the Automation built in the cell. 07 once raised
StopIteration with one version and ValueError with none. The order on a fresh account (the
Automation before the promotion) and the rollback switch: tests/test_notebook07_order.py. The
offline rehearsal runs in tests/test_notebooks.py (`-k 07`).

uv run --all-packages pytest tests/test_notebook07.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
import wandb
from wb_common.promotion import DeploySettings
from wb_common.registry import create_automation, promote
from wb_testing.api_doubles import RegistryApiDouble, RegistryVersionDouble
from wb_testing.fixtures import isolate_wandb

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_automations.ipynb"


def code_cells() -> list[str]:
    return [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]


def run_online(api: RegistryApiDouble, capsys) -> dict:
    """Every code cell after the login cell, in one namespace, as the kernel would run them.

    `aliases_after_promotion`: every version's aliases right after the promotion cell."""
    cells = code_cells()
    login = next(i for i, src in enumerate(cells) if "resolve_mode(" in src)
    namespace = {
        "os": __import__("os"),
        "wandb": wandb,
        "ONLINE": True,
        "SMOKE": False,
        "api": api,
        "ENTITY": "demo-team",
        "COLLECTION": "cifar10-classifier",
        "settings": DeploySettings(None, None, None),
    }
    for source in cells[login + 1 :]:
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
        if "artifact.save()" in source:
            namespace["aliases_after_promotion"] = aliases(api)
    namespace["output"] = capsys.readouterr().out
    return namespace


def aliases(api: RegistryApiDouble) -> dict[str, list[str]]:
    return {v.version: sorted(v.aliases) for v in api.versions}


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


def cell_calls(log: list[tuple]) -> list[tuple]:
    """The calls written in notebook 07's cells (not those inside wb_common)."""
    return [entry for entry in log if str(NOTEBOOK) in entry]


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


def test_zero_versions_skip_every_step_with_a_sentence(offline_runs, capsys, calls):
    api = RegistryApiDouble("cifar10-classifier", [], webhooks=("github-dispatch",))
    ns = run_online(api, capsys)
    assert ns["candidate"] is None and api.fired == [] and calls == []  # the Automation is ready
    assert "아직 버전이 없습니다" in ns["output"]


def test_one_version_is_promoted_and_nothing_is_rolled_back(offline_runs, capsys, calls):
    versions = [(["staging"], {"val/acc": 0.8})]
    api = RegistryApiDouble("cifar10-classifier", versions, webhooks=("github-dispatch",))
    ns = run_online(api, capsys)
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


def test_two_versions_promote_the_better_and_keep_the_way_back(offline_runs, capsys, calls):
    versions = [(["production"], {"val/acc": 0.7}), (["staging"], {"val/acc": 0.9})]
    api = RegistryApiDouble("cifar10-classifier", versions, webhooks=("github-dispatch",))
    ns = run_online(api, capsys)
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
    assert ns["aliases_after_promotion"] == cli_promotion(versions, "v1")
    assert api.holder("production") == "v1" and api.holder("previous-production") == "v0"
    # The Automation written in the cell is the one `wb-demo automation create` makes.
    ((made, kwargs),) = api.created
    reference = RegistryApiDouble("cifar10-classifier", [], webhooks=("github-dispatch",))
    create_automation(reference, "demo-team", "cifar10-classifier", "github-dispatch")
    ((expected, expected_kwargs),) = reference.created
    assert made == expected
    assert kwargs["name"] == expected_kwargs["name"] and kwargs["fetch_existing"] is True


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
