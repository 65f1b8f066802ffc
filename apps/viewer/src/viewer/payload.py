"""The promotion payload: the one place that names its fields, their schema and the allow-list.

W&B sends the webhook when a model version gets the `production` alias in the Registry; GitHub
turns it into a `repository_dispatch` event, and the deploy workflow hands its `client_payload`
to `viewer-deploy` as data (a file or an environment variable, never spliced into a shell line).
The automation template, the workflow and the deploy command all read the field names from here:

    from wb_common.payload import dispatch_body  # re-exported here as viewer.payload.dispatch_body
    SendWebhook.from_integration(hook, payload=dispatch_body())

Every value is checked against a strict pattern and an allow-list before anything is downloaded,
so a forged or malformed payload can name neither another team's model nor a path or a command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
from wb_common.card import escape_unsafe
from wb_common.payload import DISPATCH_EVENT_TYPE, FIELDS, dispatch_body
from wb_common.tasks import MODEL_TYPES, REGISTRY, TASKS, registry_path, registry_project

from viewer.registry_version import VERSION

# Re-exported for the viewer: the field names, the template W&B fills and the dispatch event type
# live in wb_common.payload (shared with `wb-demo automation create` and the deploy workflow), the
# pattern of a version name in viewer.registry_version.
__all__ = ["DISPATCH_EVENT_TYPE", "FIELDS", "VERSION", "dispatch_body"]
# Manual deploys and rollbacks (workflow_dispatch) name a version by hand: same schema, this event.
MANUAL_EVENT_TYPE = "MANUAL_DEPLOY"
# The events that deploy: W&B's alias added to a version in a registry collection, and a person's
# manual deploy or rollback.
EVENT_TYPES = ("ADD_ARTIFACT_ALIAS", MANUAL_EVENT_TYPE)
ALLOWED_ALIASES = ("production",)
ALLOWED_REGISTRIES = (REGISTRY,)  # the new Registry's model registry: `wandb-registry-model`
# Registry collection -> the model_type its model card must declare: the six demo collections
# (wb_common.tasks), the default when the viewer folder has no collections.toml.
COLLECTIONS: dict[str, str] = {task.collection: task.model_type for task in TASKS.values()}
# The deployer's own list (`[collections]` name = model type), beside deployment.json.
COLLECTIONS_FILE = "collections.toml"
_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", re.ASCII)  # W&B collection names
ENTITIES_ENV = "VIEWER_ALLOWED_ENTITIES"  # comma-separated; or --allowed-entity on the CLI

MAX_PAYLOAD_DEPTH = 8  # the real payload is one flat object of strings (depth 1)
MAX_PAYLOAD_BYTES = 16 * 1024  # the real payload is ~400 bytes (UTF-8 bytes, not characters)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)  # W&B entity / user name
# W&B user names, and GitHub actors of a manual run, bots included (`renovate[bot]`).
_AUTHOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}(\[bot\])?", re.ASCII)


class PayloadError(ValueError):
    """A payload that is not a valid, allowed promotion; the message is one sentence."""


@dataclass(frozen=True)
class Promotion:
    """A validated promotion: which registry version to deploy, and who promoted it."""

    entity: str
    registry: str
    collection: str
    version: str  # "v3"; or an alias ("production") until `resolved` names the version
    alias: str  # the alias the version must still hold; "" for a manual deploy or rollback
    author: str
    model_type: str = ""  # what the collection holds (the deployer's list); "" = the demo table

    def __post_init__(self) -> None:
        if not self.model_type:
            object.__setattr__(self, "model_type", COLLECTIONS.get(self.collection, ""))

    @property
    def artifact_path(self) -> str:
        """The full name `wandb.Api().artifact()` takes."""
        return registry_path(
            self.collection, entity=self.entity, version=self.version, registry=self.registry
        )

    @property
    def manual(self) -> bool:
        """A person chose this version by hand (workflow_dispatch): no alias is required."""
        return self.alias == ""

    @property
    def resolved(self) -> bool:
        """The payload named a concrete version (`:v3`), not an alias to resolve."""
        return bool(VERSION.fullmatch(self.version))


def collection_entry(text: str) -> tuple[str, str]:
    """`NAME=MODEL_TYPE` (a --collections value) -> (name, model type); PayloadError if not."""
    name, _, model_type = text.partition("=")
    check_collection(name.strip(), model_type.strip())
    return name.strip(), model_type.strip()


def check_collection(name: str, model_type: object) -> None:
    if not _COLLECTION.fullmatch(name):
        raise PayloadError(
            f"컬렉션 이름 {name!r}이(가) 올바르지 않습니다 — {name!r} is not a W&B collection name."
        )
    if model_type not in MODEL_TYPES:
        raise PayloadError(
            f"컬렉션 {name}의 모델 유형 {model_type!r}을(를) 알 수 없습니다 — collection {name}: "
            f"model type {model_type!r} is not one of {', '.join(MODEL_TYPES)}."
        )


def load_collections(home: Path, extra: Iterable[str] = ()) -> dict[str, str]:
    """The collections this deployer accepts -> the model type each holds.

    `<home>/collections.toml` (`[collections]` name = "model type"), or the six demo collections
    when there is none, plus `--collections NAME=MODEL_TYPE` values. Raises PayloadError.
    """
    path = home / COLLECTIONS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        table: Mapping[str, Any] = COLLECTIONS
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise PayloadError(
            f"컬렉션 목록 {path}을(를) 읽을 수 없습니다 — cannot read {path} ({err})."
        ) from None
    else:
        table = data.get("collections")
        if not isinstance(table, dict) or not table:
            raise PayloadError(
                f"컬렉션 목록 {path}에 [collections] 표가 없습니다 — {path} has no "
                "[collections] table."
            )
    collections = dict(table)
    for name, model_type in collections.items():
        check_collection(name, model_type)
    collections.update(collection_entry(text) for text in extra)
    return collections


def allowed_entities(cli_values: Iterable[str] = (), env: dict[str, str] | None = None) -> set[str]:
    """The entities allowed to deploy: `--allowed-entity` values plus $VIEWER_ALLOWED_ENTITIES."""
    env_value = (env or {}).get(ENTITIES_ENV, "")
    names = {n.strip() for n in [*cli_values, *env_value.split(",")] if n.strip()}
    if bad := sorted(n for n in names if not _NAME.fullmatch(n)):
        raise PayloadError(
            f"허용 엔티티 {bad[0]!r}은(는) W&B 엔티티 이름이 아닙니다 — allowed entity {bad[0]!r} "
            "is not a valid W&B entity name."
        )
    return names


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if dupes := sorted({k for k in keys if keys.count(k) > 1}):
        raise PayloadError(
            f"페이로드에 필드 {dupes[0]!r}이(가) 두 번 있습니다 — payload repeats the field "
            f"{dupes[0]!r}."
        )
    return dict(pairs)


def _reject_constant(name: str) -> None:
    raise PayloadError(
        f"페이로드의 {name}은(는) JSON이 아닙니다 — payload contains {name}, which is not JSON."
    )


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a decoded JSON document (iterative: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def parse_payload(
    raw: str | bytes, allowed: set[str], collections: Mapping[str, str] | None = None
) -> Promotion:
    """Validate a `client_payload` JSON document; raise PayloadError with one sentence.

    `collections`: the deployer's list (load_collections); the six demo collections by default.
    """
    collections = COLLECTIONS if collections is None else collections
    if not allowed:
        raise PayloadError(
            f"배포를 허용할 W&B 엔티티가 없습니다(--allowed-entity나 {ENTITIES_ENV}로 주세요) — "
            f"no allowed W&B entity configured: pass --allowed-entity or set {ENTITIES_ENV}."
        )
    data = _decode_envelope(raw)
    _check_field_names(data)
    event = _field(data, "event_type", data["event_type"] in EVENT_TYPES, " or ".join(EVENT_TYPES))
    if event == MANUAL_EVENT_TYPE:  # a person names the version; it needs no alias
        alias = _field(data, "alias", data["alias"] == "", "'' for a manual deploy")
    else:
        alias = _field(
            data, "alias", data["alias"] in ALLOWED_ALIASES, " or ".join(ALLOWED_ALIASES)
        )
    author = _field(
        data, "event_author", bool(_AUTHOR.fullmatch(data["event_author"])), "a user name"
    )
    entity = _field(
        data,
        "entity_name",
        data["entity_name"] in allowed,
        f"an allowed entity ({', '.join(sorted(allowed))})",
    )
    projects = {registry_project(r): r for r in ALLOWED_REGISTRIES}
    project = _field(data, "project_name", data["project_name"] in projects, " or ".join(projects))
    collection = _field(
        data,
        "artifact_collection_name",
        data["artifact_collection_name"] in collections,
        f"one of {', '.join(collections)}",
    )
    by_alias = alias if event != MANUAL_EVENT_TYPE else None
    entity, version = _check_version_string(data, allowed, entity, project, collection, by_alias)
    return Promotion(
        entity, projects[project], collection, version, alias, author, collections[collection]
    )


_TOO_DEEP = (
    "페이로드가 너무 깊게 중첩되어 승격 페이로드일 수 없습니다 — payload is nested too deeply to "
    "be a promotion."
)


def _decode_envelope(raw: str | bytes) -> dict[str, Any]:
    """The payload's bytes as one JSON object: bounded in size and depth, strict JSON."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadError(
            f"페이로드가 {size} bytes로 한도 {MAX_PAYLOAD_BYTES} bytes를 넘습니다 — payload is "
            f"{size} bytes, more than {MAX_PAYLOAD_BYTES}."
        )
    try:
        data = json.loads(
            raw, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PayloadError(
            f"페이로드가 올바른 JSON이 아닙니다 — payload is not valid JSON ({err})."
        ) from None
    except RecursionError:  # `[[[[...]]]]` thousands deep: the real payload is one flat object
        raise PayloadError(_TOO_DEEP) from None
    # Python 3.13's decoder parses such documents without a RecursionError: check the depth.
    if _depth(data) > MAX_PAYLOAD_DEPTH:
        raise PayloadError(_TOO_DEEP)
    if not isinstance(data, dict):
        raise PayloadError(
            f"페이로드는 JSON 객체여야 합니다 — payload must be a JSON object, got "
            f"{type(data).__name__}."
        )
    return data


def _check_field_names(data: dict[str, Any]) -> None:
    """Exactly the fields W&B sends, each a string."""
    if missing := [name for name in FIELDS if name not in data]:
        raise PayloadError(
            f"페이로드에 필드 {missing[0]!r}이(가) 없습니다 — payload is missing the field "
            f"{missing[0]!r}."
        )
    if unknown := sorted(set(data) - set(FIELDS)):
        raise PayloadError(
            f"페이로드에 모르는 필드 {unknown[0][:40]!r}이(가) 있습니다 — payload has the unknown "
            f"field {unknown[0][:40]!r}."
        )
    if not_text := [k for k, v in data.items() if not isinstance(v, str)]:
        raise PayloadError(
            f"페이로드 필드 {not_text[0]!r}은(는) 문자열이어야 합니다 — payload field "
            f"{not_text[0]!r} must be a string."
        )


def _field(data: dict[str, str], field: str, ok: bool, expected: str) -> str:
    """`data[field]` when `ok`; else the sentence naming the field, its value and what it allows."""
    if not ok:
        value = data[field] if len(data[field]) <= 80 else data[field][:77] + "..."
        raise PayloadError(
            f"페이로드 필드 {field!r}의 값 {value!r}을(를) 받아들일 수 없습니다 — payload field "
            f"{field!r} = {value!r}: expected {expected}."
        )
    return data[field]


def _check_version_string(
    data: dict[str, str],
    allowed: set[str],
    entity: str,
    project: str,
    collection: str,
    alias: str | None,
) -> tuple[str, str]:
    """The entity and version `artifact_version_string` names, checked against the fields.

    `[entity/][project/]collection:vN`: every part it names must agree with the fields above.
    The entity may differ from entity_name when it is the registry's org entity; it must then
    be allow-listed itself. W&B may also end it in an alias (`:production`): the deploy
    resolves that to a concrete version through the API (a manual deploy names a version, and
    passes `alias=None`); only the alias the event is about is accepted there (`:latest` is not
    a promotion).
    """
    *prefix, last = data["artifact_version_string"].split("/")
    name, _, version = last.partition(":")
    if len(prefix) == 2 and prefix[0] in allowed:
        entity = prefix[0]
    expected_prefix = [entity, project][-len(prefix) :] if prefix else []
    by_alias = alias is not None and version == alias  # `...:production`
    _field(
        data,
        "artifact_version_string",
        len(prefix) <= 2
        and prefix == expected_prefix
        and name == collection
        and (bool(VERSION.fullmatch(version)) or by_alias),
        f"'{entity}/{project}/{collection}:v<N>' (v0, v1, ... in ASCII digits)",
    )
    return entity, version


def manual_payload(env: dict[str, str]) -> dict[str, str]:
    """The payload of a manual deploy or rollback (the workflow's `workflow_dispatch` inputs).

    Built from COLLECTION, VERSION, ENTITY and ACTOR in the environment, so the workflow never
    splices an input into a shell line; it then goes through `parse_payload` like any other.
    """
    missing = [k for k in ("COLLECTION", "VERSION", "ENTITY", "ACTOR") if not env.get(k)]
    if missing:
        raise PayloadError(
            f"수동 배포에는 환경 변수 {missing[0]}이(가) 필요합니다 — manual deploy needs the "
            f"environment variable {missing[0]}."
        )
    registry = ALLOWED_REGISTRIES[0]
    version = registry_path(
        env["COLLECTION"], entity=env["ENTITY"], version=env["VERSION"], registry=registry
    )
    return {
        "event_type": MANUAL_EVENT_TYPE,
        "event_author": env["ACTOR"],
        "alias": "",  # a rollback target holds `previous-production`, not `production`
        "entity_name": env["ENTITY"],
        "project_name": registry_project(registry),
        "artifact_collection_name": env["COLLECTION"],
        "artifact_version_string": version,
    }


def step_summary(raw: str) -> str:
    """Markdown for the workflow's step summary: the payload exactly as received.

    The first real webhook shows what W&B sent (alias or `:vN`, which entity). The payload holds
    no secret (the webhook's token goes in a header). It is shown inside a code fence longer than
    any run of backticks in it, so no value can end the fence and inject Markdown or HTML; bidi
    overrides (U+202E), zero-width and control characters are written as `\\uXXXX`, so none can
    reorder or hide what a reviewer reads.
    """
    try:
        shown = json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    except (json.JSONDecodeError, RecursionError):
        shown = raw if len(raw) <= 4000 else raw[:4000] + "..."
    shown = escape_unsafe(shown)
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"### 받은 payload · Received payload\n\n{fence}json\n{shown}\n{fence}\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m viewer.payload manual` prints the manual payload JSON (see manual_payload);
    `python -m viewer.payload summary FILE` prints the step-summary Markdown of a payload file."""
    import os
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "summary":
        try:
            with open(args[1], encoding="utf-8", errors="replace") as f:
                raw = f.read(MAX_PAYLOAD_BYTES * 4)
        except OSError as err:
            print(
                f"viewer.payload: 파일 {args[1]}을(를) 읽을 수 없습니다 — cannot read {args[1]} "
                f"({err}).",
                file=sys.stderr,
            )
            return 1
        print(step_summary(raw))
        return 0
    if args != ["manual"]:
        print("사용법 — usage: python -m viewer.payload manual | summary FILE", file=sys.stderr)
        return 2
    try:
        print(json.dumps(manual_payload(dict(os.environ))))
    except PayloadError as err:
        print(f"viewer.payload: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
