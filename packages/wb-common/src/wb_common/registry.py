"""Registry operations behind `wb-demo registry list | promote | rollback | automation create`.

Only a person gives `production` (DESIGN.md): `promote` moves it to a chosen version and W&B takes
it off the previous holder. Rollback needs to know who held `production` before; W&B keeps no
alias history we can query, so `promote` records it in the registry itself: the version that
loses `production` gets the alias `previous-production` (aliases are unique in a collection, so
W&B moves that one too). `rollback` swaps the two. The history is visible in the Registry UI,
survives any machine, and needs no extra store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wb_common.artifacts import REGISTRY, registry_path
from wb_common.payload import PRODUCTION_ALIAS, dispatch_body

PREVIOUS_ALIAS = "previous-production"


class RegistryError(RuntimeError):
    """A registry operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class VersionInfo:
    collection: str
    version: str  # "v3"
    aliases: list[str]
    metrics: dict[str, float]  # from the model card in the version's metadata
    run_path: str


def _version(api: Any, collection: str, version_or_alias: str) -> Any | None:
    """The registry version `collection:version_or_alias`, or None when there is none."""
    import wandb

    try:
        return api.artifact(f"{registry_path(collection)}:{version_or_alias}")
    except (wandb.errors.CommError, ValueError):
        return None


def list_versions(api: Any, registry: str = REGISTRY) -> list[VersionInfo]:
    """Every version of every collection in the registry, with aliases and card metrics."""
    rows = []
    for collection in api.registry(registry).collections():
        for artifact in collection.artifacts():
            card = artifact.metadata or {}
            rows.append(
                VersionInfo(
                    collection=collection.name,
                    version=artifact.version,
                    aliases=[a for a in artifact.aliases if a != "latest"],
                    metrics=dict(card.get("metrics", {})),
                    run_path=card.get("run_path", ""),
                )
            )
    return rows


def _give_alias(artifact: Any, alias: str) -> None:
    if alias not in artifact.aliases:
        artifact.aliases.append(alias)
    try:
        artifact.save()
    except Exception as err:  # CommError 403 on a protected alias, network errors
        raise RegistryError(
            f"could not give {alias!r} to {artifact.name} ({type(err).__name__}: {err}); "
            "protected aliases can only be set by a registry admin."
        ) from None


def promote(api: Any, collection: str, version: str) -> str:
    """Give `production` to `collection:version`; the old holder becomes `previous-production`."""
    target = _version(api, collection, version)
    if target is None:
        raise RegistryError(f"{registry_path(collection)}:{version} does not exist.")
    current = _version(api, collection, PRODUCTION_ALIAS)
    if current is not None and current.version == target.version:
        return f"{collection}:{target.version} already holds {PRODUCTION_ALIAS}; nothing changed."
    if current is not None:
        _give_alias(current, PREVIOUS_ALIAS)
    _give_alias(target, PRODUCTION_ALIAS)
    before = f" (was {current.version})" if current is not None else ""
    return f"{collection}:{target.version} is now {PRODUCTION_ALIAS}{before}."


def rollback(api: Any, collection: str) -> str:
    """Give `production` back to the version that held it before the last promotion."""
    previous = _version(api, collection, PREVIOUS_ALIAS)
    if previous is None:
        raise RegistryError(
            f"{collection} has no {PREVIOUS_ALIAS!r} version: nothing was promoted over another "
            "version with `wb-demo promote`, so there is nothing to roll back to."
        )
    current = _version(api, collection, PRODUCTION_ALIAS)
    _give_alias(previous, PRODUCTION_ALIAS)
    if current is not None and current.version != previous.version:
        _give_alias(current, PREVIOUS_ALIAS)
    return f"{collection}:{previous.version} is {PRODUCTION_ALIAS} again."


WEBHOOK_UI_STEP = (
    "Create it once in the W&B UI: Team settings → Webhooks → New webhook, URL "
    "https://api.github.com/repos/<owner>/<repo>/dispatches, with a secret named GITHUB_TOKEN "
    "(a fine-grained token with Contents: read & write on that repository) used as the access "
    "token; the SDK cannot create webhooks."
)


def create_automation(api: Any, entity: str, collection: str, webhook: str) -> Any:
    """The Automation: alias `production` added in `collection` → POST `dispatch_body()`.

    Needs a webhook integration named `webhook` in `entity` (created in the UI, see
    WEBHOOK_UI_STEP) and a plan with webhook automations (Pro or Enterprise).
    """
    from wandb.automations import ArtifactEvent, OnAddArtifactAlias, SendWebhook

    hooks = {hook.name: hook for hook in api.webhook_integrations(entity=entity)}
    if webhook not in hooks:
        known = ", ".join(sorted(hooks)) or "none"
        raise RegistryError(f"{entity} has no webhook named {webhook!r} (it has: {known}). "
                            + WEBHOOK_UI_STEP)  # fmt: skip
    scope = api.artifact_collection(type_name="model", name=registry_path(collection))
    event = OnAddArtifactAlias(scope=scope, filter=ArtifactEvent.alias == PRODUCTION_ALIAS)
    action = SendWebhook.from_integration(hooks[webhook], payload=dispatch_body())
    return api.create_automation(
        event >> action,
        name=f"deploy-{collection}-on-{PRODUCTION_ALIAS}",
        description="Registry production alias → GitHub repository_dispatch → viewer-deploy",
        fetch_existing=True,
    )
