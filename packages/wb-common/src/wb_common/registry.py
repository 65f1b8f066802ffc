"""Registry operations behind `wb-demo registry list | promote | rollback | automation create`.

Only a person gives `production`: `promote` moves it to a chosen version and W&B takes
it off the previous holder. Rollback needs to know who held `production` before; W&B keeps no
alias history we can query, so `promote` records it in the registry itself: the version that
loses `production` gets the alias `previous-production` (aliases are unique in a collection, so
W&B moves that one too). `rollback` promotes that version back. The history is visible in the
Registry UI, survives any machine, and needs no extra store.

Each alias change is its own server call, and any of them can fail (a 403 on a protected alias,
the network). The order makes every intermediate state safe: the collection never loses
`production`, and never loses its rollback target.
1. The current holder gets `previous-production-pending`: nothing else moves yet.
2. The target gets `production` (W&B takes it off the current holder). If this fails, the
   collection is as before plus a marker.
3. The pending holder gets `previous-production` and loses the marker.
Every promote and rollback first finishes a step 3 that a failed run left, so running the same
command again repairs the registry (before, `previous-production` moved first: a refused step 2
left v2 with both aliases, v1 with none, and `rollback` then changed nothing).
Notebook 07 writes its alias moves in its cells with the plain SDK calls (`api.artifact(path)`,
`artifact.aliases.append("production")`, `artifact.save()`, then `previous-production` on the old
holder) and leaves the registry in the state `promote` leaves, so `rollback` works after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wb_common.payload import PRODUCTION_ALIAS, dispatch_body
from wb_common.tasks import REGISTRY, registry_path

PREVIOUS_ALIAS = "previous-production"
PENDING_ALIAS = "previous-production-pending"  # step 1 of a promote; gone once it completes


class RegistryError(RuntimeError):
    """A registry operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class VersionInfo:
    collection: str
    version: str  # "v3"
    aliases: list[str]
    metrics: dict[str, float]  # from the model card in the version's metadata
    run_path: str
    created_at: str = ""  # ISO 8601 from the server; "" for a version built without one

    @property
    def number(self) -> int:
        """3 for "v3": versions sort by this, not by their names ("v10" after "v9")."""
        return int(self.version.removeprefix("v") or 0)


def _version(api: Any, collection: str, version_or_alias: str) -> Any | None:
    """The registry version `collection:version_or_alias`, or None when there is none."""
    import wandb

    try:
        return api.artifact(registry_path(collection, version=version_or_alias))
    except (wandb.errors.CommError, ValueError):
        return None


def version_info(collection: str, artifact: Any) -> VersionInfo:
    """One registry version as a row: aliases without `latest`, the numbers of its model card."""
    card = artifact.metadata or {}
    metrics = card.get("metrics") or {}
    return VersionInfo(
        collection=collection,
        version=artifact.version,
        aliases=[a for a in artifact.aliases if a != "latest"],
        metrics={  # numbers only: the table and `wb-demo registry list` format them as such
            k: v
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        },
        run_path=card.get("run_path", ""),
        created_at=str(artifact.created_at),
    )


def list_versions(
    api: Any, registry: str = REGISTRY, *, collection: str | None = None, entity: str | None = None
) -> list[VersionInfo]:
    """The versions in the registry with aliases (without `latest`) and card metrics.

    Without `collection`: every collection, through `api.registry(registry).collections()` (the
    organization comes from the API's settings). With it: that collection alone, newest first,
    through `api.artifacts(type_name="model", name=[entity/]wandb-registry-<registry>/<collection>)`
    (the SDK resolves `entity` to its organization): the viewer knows the entity of what it serves.
    """
    if collection is not None:
        path = registry_path(collection, entity=entity, registry=registry)
        rows = [version_info(collection, a) for a in api.artifacts(type_name="model", name=path)]
        return sorted(rows, key=lambda row: row.number, reverse=True)
    return [
        version_info(listed.name, artifact)
        for listed in api.registry(registry).collections()
        for artifact in listed.artifacts()
    ]


def _set_aliases(artifact: Any, add: str, remove: str = "") -> None:
    """One alias change on one version (one `save()`), or RegistryError naming it."""
    before = list(artifact.aliases)
    artifact.aliases[:] = [a for a in artifact.aliases if a != remove]
    if add not in artifact.aliases:
        artifact.aliases.append(add)
    try:
        artifact.save()
    except Exception as err:  # CommError 403 on a protected alias, network errors
        artifact.aliases[:] = before  # the object says what the server still has
        raise RegistryError(
            f"could not give {add!r} to {artifact.name} ({type(err).__name__}: {err}); "
            "protected aliases can only be set by a registry admin. Nothing was lost: run the "
            "same command again once that is fixed."
        ) from None


def _finish_pending(api: Any, collection: str) -> str | None:
    """Step 3 of a promote that stopped after step 2 (or 1): the marked version becomes
    `previous-production` unless it still holds `production` (then step 2 never happened)."""
    pending = _version(api, collection, PENDING_ALIAS)
    if pending is None:
        return None
    if PRODUCTION_ALIAS in pending.aliases:  # step 2 failed: only the marker to take back
        pending.aliases[:] = [a for a in pending.aliases if a != PENDING_ALIAS]
        try:
            pending.save()
        except Exception as err:
            raise RegistryError(
                f"could not remove {PENDING_ALIAS!r} from {pending.name} ({type(err).__name__})."
            ) from None
        return None
    _set_aliases(pending, PREVIOUS_ALIAS, remove=PENDING_ALIAS)
    return pending.version


@dataclass(frozen=True)
class Promotion:
    """A promotion between step 1 and step 3: what `_begin_promotion` found and marked."""

    collection: str
    target: str  # "v3": the version that gets production in step 2
    previous: str | None  # the production holder now marked pending (None: none, or done)
    repaired: str | None  # the version an interrupted promotion left, now previous-production
    done: bool  # the target already holds production: step 2 has nothing to do

    @property
    def path(self) -> str:
        """The target's registry path, for `api.artifact(...)` in step 2."""
        return registry_path(self.collection, version=self.target)


def _begin_promotion(api: Any, collection: str, version: str) -> Promotion:
    """Finish any interrupted promotion, then step 1: mark the current production holder."""
    target = _version(api, collection, version)
    if target is None:
        raise RegistryError(f"{registry_path(collection, version=version)} does not exist.")
    repaired = _finish_pending(api, collection)
    current = _version(api, collection, PRODUCTION_ALIAS)
    done = current is not None and current.version == target.version
    if current is not None and not done:
        _set_aliases(current, PENDING_ALIAS)  # 1
    previous = current.version if current is not None and not done else None
    return Promotion(collection, target.version, previous, repaired, done)


def _finish_promotion(api: Any, promotion: Promotion) -> str:
    """Step 3, once the target holds production: the marked old holder becomes
    `previous-production`. Refuses (RegistryError) when step 2 has not happened."""
    p = promotion
    name = f"{p.collection}:{p.target}"
    if p.done:
        if p.repaired:
            return (
                f"{name} holds {PRODUCTION_ALIAS}; the interrupted promotion is complete "
                f"({p.repaired} is {PREVIOUS_ALIAS})."
            )
        return f"{name} already holds {PRODUCTION_ALIAS}; nothing changed."
    holder = _version(api, p.collection, PRODUCTION_ALIAS)
    if holder is None or holder.version != p.target:
        raise RegistryError(
            f"{name} does not hold {PRODUCTION_ALIAS} yet: give it first (artifact.aliases.append"
            f"({PRODUCTION_ALIAS!r}) and artifact.save()). Nothing was lost: the next promote or "
            "rollback takes back the pending marker."
        )
    previous = _version(api, p.collection, p.previous) if p.previous else None
    if previous is not None:
        _set_aliases(previous, PREVIOUS_ALIAS, remove=PENDING_ALIAS)  # 3
    before = f" (was {p.previous})" if p.previous else ""
    return f"{name} is now {PRODUCTION_ALIAS}{before}."


def promote(api: Any, collection: str, version: str) -> str:
    """Give `production` to `collection:version`; the old holder becomes `previous-production`.

    Ordered so that a failure at any step leaves `production` and the rollback target in place,
    and running it again completes it (see the module docstring).
    """
    promotion = _begin_promotion(api, collection, version)
    if not promotion.done:
        _set_aliases(api.artifact(promotion.path), PRODUCTION_ALIAS)  # 2
    return _finish_promotion(api, promotion)


def rollback(api: Any, collection: str) -> str:
    """Give `production` back to the version that held it before the last promotion."""
    _finish_pending(api, collection)
    previous = _version(api, collection, PREVIOUS_ALIAS)
    if previous is None:
        raise RegistryError(
            f"{collection} has no {PREVIOUS_ALIAS!r} version: nothing was promoted over another "
            "version with `wb-demo promote`, so there is nothing to roll back to."
        )
    if PRODUCTION_ALIAS in previous.aliases:  # left by an older wb-demo that moved it first
        raise RegistryError(
            f"{collection}:{previous.version} holds both {PRODUCTION_ALIAS} and {PREVIOUS_ALIAS}: "
            "the version before it is unknown; promote it by name (`wb-demo promote "
            f"{collection} v<N>`)."
        )
    promote(api, collection, previous.version)  # the old holder becomes previous-production
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
        raise RegistryError(
            f"{entity} has no webhook named {webhook!r} (it has: {known}). " + WEBHOOK_UI_STEP
        )
    scope = api.artifact_collection(type_name="model", name=registry_path(collection))
    event = OnAddArtifactAlias(scope=scope, filter=ArtifactEvent.alias == PRODUCTION_ALIAS)
    action = SendWebhook.from_integration(hooks[webhook], payload=dispatch_body())
    return api.create_automation(
        event >> action,
        name=f"deploy-{collection}-on-{PRODUCTION_ALIAS}",
        description="Registry production alias → GitHub repository_dispatch → viewer-deploy",
        fetch_existing=True,
    )
