"""Test doubles for the W&B calls that need a server: `wandb.sweep`, `wandb.agent`, `wandb.Api`.

`VersionApiDouble` and the classes beside it stand in for what viewer.registry_version asks about
one registry version (signatures of wandb 0.31: wandb/apis/public/api.py, runs.py, files.py,
wandb/sdk/artifacts/artifact.py): `Api.artifact(name, type=None)` (ValueError for another type;
an alias resolves to the version holding it), `Api.artifacts(type_name, name, ...)`,
`Artifact.download(root=None, ...)`, `.logged_by()`, `Run.summary_metrics`, `.config`,
`.used_artifacts()`, `.files()` and `File.download(root=".", replace=False, exist_ok=False)`
(ValueError when the file exists and neither flag is set). The viewer's tests and wb-common's
share them.

They behave like the real ones where a demo can go wrong on stage, checked against the installed
SDK (wandb 0.31): `PyAgentDouble` does what `wandb/agents/pyagent.py` `_run_job` does around each
trial — write the suggestion to WANDB_SWEEP_PARAM_PATH, `wandb.teardown()`, call the function,
`wandb.finish()` — so a run started before the sweep is dead after it, exactly as on Colab.
Used by the tests of every member and by the notebook tests; never by product code (this module
lives in wb-testing, which no runtime package depends on).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import wandb
import yaml


@dataclass
class SweepServerDouble:
    """`wandb.sweep` + `wandb.agent` with fixed suggestions; records every call.

    Install with `monkeypatch.setattr(wandb, "sweep", server.sweep)` and
    `monkeypatch.setattr(wandb, "agent", server.agent)`.
    """

    suggestions: list[dict[str, Any]]  # one dict of parameters per trial, in order
    sweep_id: str = "abc123"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    trial_env: dict[str, str] = field(default_factory=lambda: {"WANDB_MODE": "offline"})

    def sweep(self, sweep: dict[str, Any], entity: str | None = None,
              project: str | None = None, prior_runs: list[str] | None = None) -> str:  # fmt: skip
        self.calls.append(("sweep", {"config": sweep, "entity": entity, "project": project}))
        return self.sweep_id

    def agent(self, sweep_id: str, function: Callable[[], Any] | None = None,
              entity: str | None = None, project: str | None = None,
              count: int | None = None, forward_signals: bool = False,
              term_timeout: int | None = None,
              max_consecutive_failed_runs: int | None = None) -> None:  # fmt: skip
        """Like pyagent: per trial, params file, `wandb.teardown()`, function, `wandb.finish()`.

        pyagent only logs a trial's exception; this double re-raises it, so a test sees it.
        """
        self.calls.append(
            ("agent", {"sweep_id": sweep_id, "entity": entity, "project": project, "count": count})
        )
        saved = {k: os.environ.get(k) for k in self.trial_env}
        os.environ.update(self.trial_env)  # the trial's own run stays local in tests
        try:
            with tempfile.TemporaryDirectory(prefix="pyagent-double-") as tmp:
                for i, params in enumerate(self.suggestions[:count]):
                    path = Path(tmp) / f"config-run{i}.yaml"
                    path.write_text(yaml.safe_dump({k: {"value": v} for k, v in params.items()}))
                    os.environ["WANDB_SWEEP_PARAM_PATH"] = str(path)
                    os.environ["WANDB_SWEEP_ID"] = sweep_id
                    try:
                        wandb.teardown()  # agents/pyagent.py, _run_job: before every trial
                        function()
                        wandb.finish()
                    finally:
                        os.environ.pop("WANDB_SWEEP_PARAM_PATH", None)
                        os.environ.pop("WANDB_SWEEP_ID", None)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@dataclass
class ArtifactDouble:
    """A logged artifact as `wandb.Api` returns it: name, type, digest, and `.link` recorded."""

    name: str  # "resnet18-synthetic-cifar10:v0"
    type: str = "model"
    digest: str = "0" * 32
    links: list[tuple[str, list[str]]] = field(default_factory=list)

    def link(self, target_path: str, aliases: list[str] | None = None) -> None:
        self.links.append((target_path, list(aliases or [])))


@dataclass
class RunDouble:
    """A run as `wandb.Api().run(path)` returns it."""

    path: str  # "entity/project/id"
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    state: str = "finished"
    artifacts: list[ArtifactDouble] = field(default_factory=list)
    updates: int = 0

    @property
    def id(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def logged_artifacts(self) -> list[ArtifactDouble]:
        return list(self.artifacts)

    def update(self) -> None:  # saves config/summary changes to the server
        self.updates += 1


@dataclass
class ApiDouble:
    """The parts of `wandb.Api` the sweep and registry code call: runs, sweeps, artifacts."""

    runs: dict[str, RunDouble] = field(default_factory=dict)
    sweeps: dict[str, Any] = field(default_factory=dict)  # "entity/project/id" -> sweep double
    default_entity: str = "demo-team"

    def run(self, path: str) -> RunDouble:
        return self.runs[path]

    def sweep(self, path: str) -> Any:
        if path not in self.sweeps:
            raise ValueError(f"Could not find sweep {path}")
        return self.sweeps[path]


def sweep_double(config: dict[str, Any], runs: list[RunDouble], sweep_id: str = "abc123") -> Any:
    """A sweep as `wandb.Api().sweep(path)` returns it: `.config`, `.runs`, `.id`."""
    return SimpleNamespace(id=sweep_id, config=config, runs=runs)


class RegistryVersionDouble:
    """One registry version, as `Api.artifact()` returns it and as the server keeps it.

    `save()` sends what changed since the last save, as `Artifact._update` does (aliases added:
    `aliases - saved`, removed: `saved - aliases`); an alias is unique in a collection, so the
    server takes an added one off the version that held it. Each alias added may fire the
    collection's Automations (`RegistryApiDouble.fired`)."""

    def __init__(self, registry: RegistryApiDouble, version: str, aliases: list[str],
                 metrics: dict[str, float]) -> None:  # fmt: skip
        self._registry, self.version, self.aliases = registry, version, ["latest", *aliases]
        self._saved = list(self.aliases)  # what the server holds (Artifact._saved_aliases)
        self.name = f"{registry.collection}:{version}"
        self.metadata = {"metrics": metrics, "run_path": f"team/proj/{version}"}
        self.created_at = f"2026-11-{10 + int(version[1:]):02d}T09:00:00Z"  # one a day, in order
        self.saves = 0

    def save(self) -> None:
        self.saves += 1
        added = [a for a in self.aliases if a not in self._saved]
        removed = [a for a in self._saved if a not in self.aliases]
        for other in self._registry.versions:
            if other is not self:
                other.aliases = [a for a in other.aliases if a not in added]
                other._saved = [a for a in other._saved if a not in added]
        self.aliases = [a for a in self.aliases if a not in removed]
        self._saved = list(self.aliases)
        for alias in added:
            self._registry.alias_added(self, alias)


class RegistryApiDouble:
    """`wandb.Api` for one registry collection: registry(), artifact(), artifacts() (recorded in
    `listed`), webhook_integrations(), artifact_collection(), automations() and
    create_automation() (recorded in `created`), keeping aliases like the server.

    The server's Automation rule (test double of what W&B runs on an alias change): adding an
    alias to a version fires an Automation only if, at that moment, one exists whose event is
    ADD_ARTIFACT_ALIAS on this collection, whose alias filter accepts that alias, and whose
    action is a webhook to an integration that still exists; each firing is recorded in `fired`
    as (automation name, "collection:version", alias). `create_automation` validates its input
    with the SDK's own `prepare_to_create`, and, like the server, refuses a second Automation of
    the same name unless `fetch_existing=True` (then it returns the existing one)."""

    SCOPE_ID = "QXJ0aWZhY3RQb3J0Zm9saW86Nw=="  # the collection's id, as artifact_collection gives

    def __init__(
        self,
        collection: str,
        versions: list[tuple[list[str], dict[str, float]]],
        webhooks: tuple[str, ...] = (),
    ) -> None:
        self.collection = collection
        self.versions = [
            RegistryVersionDouble(self, f"v{i}", list(aliases), metrics)
            for i, (aliases, metrics) in enumerate(versions)
        ]
        self.webhooks = webhooks
        self.created: list[tuple[Any, dict[str, Any]]] = []
        self.automations_made: dict[str, Any] = {}  # name -> what the server stored
        self.fired: list[tuple[str, str, str]] = []
        self.listed: list[tuple[str, str]] = []
        self.default_entity = "demo-team"

    def artifacts(
        self, type_name, name, order=None, per_page=50, tags=None, start=None
    ) -> list[Any]:
        """One collection's versions, as `list_versions(api, collection=, entity=)` and notebook
        07 read them; the SDK resolves the entity in `name` to its organization."""
        self.listed.append((type_name, name))
        entity, project, collection = name.split("/")
        assert (type_name, project) == ("model", "wandb-registry-model") and entity
        return list(self.versions) if collection == self.collection else []

    def registry(self, name: str) -> Any:
        assert name == "model", name  # `Api.registry` takes the name without "wandb-registry-"
        listing = SimpleNamespace(name=self.collection, artifacts=lambda: list(self.versions))
        return SimpleNamespace(collections=lambda: [listing])

    def artifact(self, name: str, type: str | None = None) -> RegistryVersionDouble:
        prefix = f"wandb-registry-model/{self.collection}:"
        wanted = name.removeprefix(prefix)
        for version in self.versions if name.startswith(prefix) else []:
            if wanted == version.version or wanted in version.aliases:
                if type not in (None, "model"):  # as Api._artifact: every version is a model
                    found = "this artifact is of type 'model'"
                    raise ValueError(f"type {type!r} specified but {found}")
                return version
        raise wandb.errors.CommError(f"artifact {name} not found")

    def _integration_id(self, name: str) -> str:
        import base64

        number = self.webhooks.index(name) + 1
        return base64.b64encode(f"Integration:{number}".encode()).decode()

    def webhook_integrations(
        self, entity: str | None = None, *, per_page: int = 50, start: str | None = None
    ) -> list[Any]:
        from wandb.automations.integrations import WebhookIntegration

        url = "https://api.github.com/repos/o/r/dispatches"
        return [
            WebhookIntegration(id=self._integration_id(name), name=name, url_endpoint=url)
            for name in self.webhooks
        ]

    def artifact_collection(self, type_name: str, name: str) -> Any:
        from wandb.automations.scopes import _ArtifactPortfolioScope

        assert (type_name, name) == ("model", f"wandb-registry-model/{self.collection}")
        return _ArtifactPortfolioScope(id=self.SCOPE_ID, name=self.collection)

    def automations(self, entity: str | None = None, *, name: str | None = None,
                    per_page: int = 50, start: str | None = None) -> list[Any]:  # fmt: skip
        return [a for a in self.automations_made.values() if name is None or a.name == name]

    def create_automation(self, obj: Any, *, fetch_existing: bool = False, **kwargs: Any) -> Any:
        from wandb.automations._inputs import prepare_to_create

        self.created.append((obj, {"fetch_existing": fetch_existing, **kwargs}))
        made = prepare_to_create(obj, **kwargs)  # the SDK's own validation, before any request
        if made.name in self.automations_made:  # the server answers 409 CONFLICT
            if fetch_existing:
                return self.automations_made[made.name]
            raise ValueError(
                f"Automation {made.name!r} exists. Unable to create another with the same name."
            )
        self.automations_made[made.name] = made
        return made

    def alias_added(self, version: RegistryVersionDouble, alias: str) -> None:
        """What the server does after an alias lands: fire each Automation that matches now."""
        import json

        hooks = {self._integration_id(name) for name in self.webhooks}
        for made in self.automations_made.values():
            webhook = made.triggered_action_config.generic_webhook_action_input
            if (
                made.enabled is not False
                and made.triggering_event_type.value == "ADD_ARTIFACT_ALIAS"
                and made.scope_type.value == "ARTIFACT_COLLECTION"
                and made.scope_id == self.SCOPE_ID
                and _filter_accepts(json.loads(made.event_filter), {"alias": alias})
                and webhook is not None
                and webhook.integration_id in hooks
            ):
                self.fired.append((made.name, version.name, alias))

    def holder(self, alias: str) -> str | None:
        """The version holding `alias` now (what the Registry UI would show)."""
        return next((v.version for v in self.versions if alias in v.aliases), None)


def _filter_accepts(expr: Any, fields: dict[str, str]) -> bool:
    """An Automation's event filter (`{"$or": [{"$and": [{"alias": {"$eq": "production"}}]}]}`,
    as `prepare_to_create` serializes it) applied to an event; operators it does not know match
    nothing, so a test never passes on a filter this double cannot read."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return False
    ((key, value),) = expr.items()
    if key == "$or":
        return any(_filter_accepts(e, fields) for e in value)
    if key == "$and":
        return all(_filter_accepts(e, fields) for e in value)
    if key in fields and isinstance(value, dict) and len(value) == 1:
        ((op, operand),) = value.items()
        if op == "$eq":
            return fields[key] == operand
        if op == "$in":
            return fields[key] in operand
    return False


@dataclass
class RunFileDouble:
    """A run's file as `Run.files()` yields it (wandb.apis.public.files.File)."""

    name: str
    data: bytes
    listed_size: int | None = None  # what the server's listing says (sizeBytes); else the data's

    @property
    def size(self) -> int:
        return len(self.data) if self.listed_size is None else self.listed_size

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False, api=None):
        path = Path(root) / self.name
        if path.exists() and not replace:
            if exist_ok:
                return path.open()
            raise ValueError("File already exists, pass replace=True to overwrite")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path.open()


@dataclass
class ProducerRunDouble:
    """The producing run as `Artifact.logged_by()` returns it (wandb.apis.public.runs.Run)."""

    summary_metrics: dict[str, Any]
    config: dict[str, Any]
    path: list[str]  # [entity, project, run id], as Run.path
    name: str = "brisk-river-7"
    url: str = "https://wandb.ai/demo-team/wandb-e2e-demo-image-classification/runs/abc123"
    used: list[Any] = field(default_factory=list)  # VersionDouble of type dataset, code, ...
    media: list[RunFileDouble] = field(default_factory=list)

    def used_artifacts(self, per_page: int = 100) -> list[Any]:
        return list(self.used)

    def files(self, names: list[str] | None = None, pattern: str | None = None, per_page=50):
        return [f for f in self.media if names is None or f.name in names]


@dataclass
class VersionDouble:
    """A registry version as `Api.artifact()` returns it (wandb.sdk.artifacts.artifact.Artifact).

    Its files come from `folder` (copied as a download would) or from `files` (name -> bytes).
    """

    qualified_name: str  # entity/project/collection:vN
    version: str
    aliases: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    folder: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # the model card, as logged
    run: ProducerRunDouble | None = None
    type: str = "model"
    created_at: str = "2026-11-20T09:00:00Z"
    digest: str = "0123abcd"

    @property
    def source_qualified_name(self) -> str:
        return self.qualified_name.replace(
            "wandb-registry-model", "wandb-e2e-demo-image-classification"
        )

    def download(
        self,
        root: str | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
        multipart: bool | None = None,
    ) -> str:
        assert root is not None, "viewer.registry_version always says where"
        if self.folder is not None:
            shutil.copytree(self.folder, root, dirs_exist_ok=True)
        for name, data in self.files.items():
            (Path(root) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(root) / name).write_bytes(data)
        return root

    def logged_by(self) -> ProducerRunDouble | None:
        return self.run


class VersionApiDouble:
    """`wandb.Api` for registry versions: `artifact(name, type=None)` by version or alias, and
    `artifacts(type_name, name, ...)` listing a collection; every call is recorded in `calls`."""

    def __init__(self, versions: list[VersionDouble]) -> None:
        self.versions = versions
        self.calls: list[tuple[Any, ...]] = []

    def artifact(self, name: str, type: str | None = None) -> VersionDouble:
        self.calls.append(("artifact", name, type))
        collection, _, wanted = name.rpartition(":")
        for version in self.versions:
            if version.qualified_name.rpartition(":")[0] == collection and (
                wanted == version.version or wanted in version.aliases
            ):
                if type is not None and version.type != type:  # as Api._artifact
                    raise ValueError(
                        f"type {type!r} specified but this artifact is of type {version.type!r}"
                    )
                return version
        raise ValueError(f"artifact {name} not found")  # wandb: CommError or ValueError

    def artifacts(
        self, type_name, name, order=None, per_page=50, tags=None, start=None
    ) -> list[VersionDouble]:
        self.calls.append(("artifacts", type_name, name))
        return [v for v in self.versions if v.qualified_name.rpartition(":")[0] == name]


@contextlib.contextmanager
def key_rejecting_server(status: int = 401) -> Iterator[str]:
    """A test double of the W&B server for a wrong key, on 127.0.0.1: every request gets HTTP
    `status` (401: what W&B answers a key it does not know, so `wandb.login(verify=True)` raises
    AuthenticationError). Yields the server's URL, for WANDB_BASE_URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errors":[{"message":"user is not logged in"}]}')

        do_GET = do_HEAD = do_POST

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
