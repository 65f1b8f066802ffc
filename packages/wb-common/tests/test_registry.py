"""Promote, rollback, list and the Automation, against a test double of the W&B API.

uv run --all-packages pytest packages/wb-common/tests/test_registry.py
"""

from __future__ import annotations

import json

import pytest
from wb_common.cli import Promote, Registry, Rollback, registry_command
from wb_common.payload import DISPATCH_EVENT_TYPE, FIELDS
from wb_common.registry import (
    RegistryError,
    create_automation,
    list_versions,
    promote,
    rollback,
)
from wb_testing.api_doubles import RegistryApiDouble


def registry_api(n_versions: int = 3) -> RegistryApiDouble:
    """A test double of `wandb.Api` (wb_testing.api_doubles): cifar10-classifier with `n_versions`
    versions, v<i> scoring val/acc 0.5 + i/10, and a webhook named github-dispatch."""
    versions = [([], {"val/acc": 0.5 + i / 10}) for i in range(n_versions)]
    return RegistryApiDouble("cifar10-classifier", versions, webhooks=("github-dispatch",))


def holders(api, alias):
    return [v.version for v in api.versions if alias in v.aliases]


def test_promote_moves_production_and_remembers_the_previous_holder():
    api = registry_api()
    assert promote(api, "cifar10-classifier", "v1") == "cifar10-classifier:v1 is now production."
    assert holders(api, "production") == ["v1"]
    assert "(was v1)" in promote(api, "cifar10-classifier", "v2")
    assert holders(api, "production") == ["v2"]
    assert holders(api, "previous-production") == ["v1"]
    assert "nothing changed" in promote(api, "cifar10-classifier", "v2")


def test_rollback_swaps_production_and_previous():
    api = registry_api()
    promote(api, "cifar10-classifier", "v0")
    promote(api, "cifar10-classifier", "v2")
    assert rollback(api, "cifar10-classifier") == "cifar10-classifier:v0 is production again."
    assert holders(api, "production") == ["v0"]
    assert holders(api, "previous-production") == ["v2"]  # so the rollback can be undone


def test_rollback_with_no_history_explains():
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        rollback(registry_api(), "cifar10-classifier")


def test_promoting_a_missing_version_is_one_sentence(capsys):
    assert registry_command(Promote("cifar10-classifier", "v9"), api=registry_api()) == 1
    assert "v9 does not exist" in capsys.readouterr().err


def test_cli_lists_versions_with_aliases_and_metrics(capsys):
    api = registry_api()
    assert registry_command(Promote("cifar10-classifier", "v1"), api=api) == 0
    assert registry_command(Rollback("cifar10-classifier"), api=api) == 1  # no previous yet
    assert registry_command(Registry(), api=api) == 0
    out = capsys.readouterr().out
    assert "cifar10-classifier:v1  [production]  val/acc=0.6  team/proj/v1" in out
    assert "cifar10-classifier:v0  [-]  val/acc=0.5" in out


def test_one_collection_is_listed_newest_first_with_its_creation_time():
    """What the viewer's versions tab reads: one query for the deployed entity's collection."""
    api = registry_api(n_versions=11)
    api.versions[9].metadata["metrics"]["note"] = "best so far"  # not a number
    promote(api, "cifar10-classifier", "v9")
    rows = list_versions(api, collection="cifar10-classifier", entity="team")
    assert api.listed == [("model", "team/wandb-registry-model/cifar10-classifier")]
    assert [r.version for r in rows] == [f"v{i}" for i in range(10, -1, -1)]  # v10 before v9
    v9 = rows[1]
    assert v9.aliases == ["production"] and v9.metrics == {"val/acc": pytest.approx(1.4)}
    assert v9.created_at == "2026-11-19T09:00:00Z" and v9.run_path == "team/proj/v9"
    assert all("latest" not in r.aliases for r in rows)
    assert list_versions(api, collection="pet-segmenter", entity="team") == []
    # without a collection: every collection of the registry, as `wb-demo registry list` prints
    assert [r.version for r in list_versions(api)] == [f"v{i}" for i in range(11)]


def test_automation_sends_the_dispatch_payload_on_the_production_alias():
    api = registry_api()
    create_automation(api, "team", "cifar10-classifier", "github-dispatch")
    ((automation, kwargs),) = api.created
    assert kwargs["fetch_existing"] and kwargs["name"] == "deploy-cifar10-classifier-on-production"
    assert automation.event.event_type == "ADD_ARTIFACT_ALIAS"
    assert "production" in str(automation.event.filter)
    payload = automation.action.request_payload
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload == {"event_type": DISPATCH_EVENT_TYPE, "client_payload": FIELDS}


def test_automation_without_the_webhook_names_the_ui_step():
    with pytest.raises(RegistryError, match="Team settings → Webhooks"):
        create_automation(registry_api(), "team", "cifar10-classifier", "missing-hook")


class FailingSave(RuntimeError):
    """What wandb raises on a refused alias (CommError 403) or a dropped connection."""


def fail_once(api, version: str, alias: str) -> None:
    """The next save() of `version` that would give it `alias` fails, once."""
    target = next(v for v in api.versions if v.version == version)
    real_save = target.save

    def save():
        if alias in target.aliases and not getattr(save, "done", False):
            save.done = True
            raise FailingSave("403: permission denied to add the alias")
        real_save()

    target.save = save


STEPS = [("v2", "previous-production-pending"), ("v3", "production"), ("v2", "previous-production")]


@pytest.mark.parametrize(("version", "alias"), STEPS)
def test_a_failed_promote_loses_neither_production_nor_the_rollback_target(version, alias):
    """v1 was production, then v2 (v1 previous-production); promoting v3 fails at one step.
    Before: `previous-production` moved first, so a refused `production` left v2 with both and
    v1 with none, and `rollback` changed nothing."""
    api = registry_api(n_versions=4)
    promote(api, "cifar10-classifier", "v1")
    promote(api, "cifar10-classifier", "v2")
    fail_once(api, version, alias)
    with pytest.raises(RegistryError, match="run the same command again"):
        promote(api, "cifar10-classifier", "v3")
    assert len(holders(api, "production")) == 1  # never without production
    production = holders(api, "production")[0]
    if production == "v2":  # the promotion did not happen: rolling back still reaches v1
        assert holders(api, "previous-production") == ["v1"]
    else:  # v3 is production: the rollback target is v2, marked or already moved
        assert holders(api, "previous-production-pending") + holders(
            api, "previous-production"
        ) in (["v2"], ["v2", "v1"])
    # running the same command again repairs
    promote(api, "cifar10-classifier", "v3")
    assert holders(api, "production") == ["v3"]
    assert holders(api, "previous-production") == ["v2"]
    assert holders(api, "previous-production-pending") == []
    assert rollback(api, "cifar10-classifier") == "cifar10-classifier:v2 is production again."
    assert holders(api, "previous-production") == ["v3"]


def test_rollback_after_an_interrupted_promote_goes_to_the_right_version():
    api = registry_api(n_versions=4)
    promote(api, "cifar10-classifier", "v1")
    promote(api, "cifar10-classifier", "v2")
    fail_once(api, "v2", "previous-production")  # step 3 fails: v3 production, v2 marked
    with pytest.raises(RegistryError):
        promote(api, "cifar10-classifier", "v3")
    assert rollback(api, "cifar10-classifier") == "cifar10-classifier:v2 is production again."
    assert holders(api, "production") == ["v2"] and holders(api, "previous-production") == ["v3"]


def test_rollback_refuses_the_ambiguous_state_older_code_left():
    api = registry_api(n_versions=3)
    v2 = api.versions[2]
    v2.aliases += ["production", "previous-production"]
    with pytest.raises(RegistryError, match="holds both production and previous-production"):
        rollback(api, "cifar10-classifier")


def test_the_double_fires_only_an_automation_that_exists_when_the_alias_lands():
    """The test double's server rule that notebook 07's order tests rely on: an alias change
    fires the webhook only for an Automation that exists at that moment, on this collection,
    for that alias, to a webhook integration that still exists."""
    api = registry_api()
    promote(api, "cifar10-classifier", "v0")  # no Automation yet: nothing fires, ever after
    create_automation(api, "team", "cifar10-classifier", "github-dispatch")
    assert api.fired == []
    v1 = api.artifact("wandb-registry-model/cifar10-classifier:v1")
    v1.aliases.append("staging")  # another alias: the filter says production only
    v1.save()
    assert api.fired == []
    promote(api, "cifar10-classifier", "v1")
    assert api.fired == [
        ("deploy-cifar10-classifier-on-production", "cifar10-classifier:v1", "production")
    ]
    api.webhooks = ()  # the integration deleted in the UI: the Automation has nowhere to send
    promote(api, "cifar10-classifier", "v2")
    assert len(api.fired) == 1
    with pytest.raises(ValueError, match="exists"):  # the server's 409 without fetch_existing
        api.create_automation(*api.created[0][0:1], name="deploy-cifar10-classifier-on-production")
