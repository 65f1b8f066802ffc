"""The promotion payload's schema and allow-list (viewer.payload).

uv run --all-packages pytest apps/viewer/tests/test_payload.py -q
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from viewer.payload import (
    FIELDS,
    PayloadError,
    Promotion,
    allowed_entities,
    dispatch_body,
    parse_payload,
)

ALLOWED = {"demo-team"}


def _raw(payload: dict) -> str:
    return json.dumps(payload)


def test_a_valid_promotion_names_the_registry_version(make_payload):
    promotion = parse_payload(_raw(make_payload("classification", "v12")), ALLOWED)
    assert promotion == Promotion(
        "demo-team", "model", "cifar10-classifier", "v12", "production", "jiyoon"
    )
    assert promotion.artifact_path == "demo-team/wandb-registry-model/cifar10-classifier:v12"
    assert promotion.model_type == "classification"


@pytest.mark.parametrize(
    "version_string",
    ["cifar10-classifier:v3", "wandb-registry-model/cifar10-classifier:v3"],
)
def test_shorter_version_strings_are_accepted_when_consistent(make_payload, version_string):
    payload = make_payload("classification", artifact_version_string=version_string)
    assert parse_payload(_raw(payload), ALLOWED).version == "v3"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"entity_name": "someone-else"}, "entity_name"),
        ({"project_name": "wandb-registry-dataset"}, "project_name"),
        ({"project_name": "wandb-e2e-demo-image-classification"}, "project_name"),
        ({"alias": "staging"}, "alias"),
        ({"event_type": "CREATE_ARTIFACT"}, "event_type"),
        ({"artifact_collection_name": "../../etc"}, "artifact_collection_name"),
        ({"artifact_collection_name": "other-model"}, "artifact_collection_name"),
        # path traversal and a different collection hidden in the version string
        (
            {"artifact_version_string": "demo-team/wandb-registry-model/../cifar10-classifier:v3"},
            "artifact_version_string",
        ),
        (
            {"artifact_version_string": "demo-team/wandb-registry-model/pet-segmenter:v3"},
            "artifact_version_string",
        ),
        (
            {"artifact_version_string": "evil/wandb-registry-model/cifar10-classifier:v3"},
            "artifact_version_string",
        ),
        (
            {"artifact_version_string": "x/demo-team/wandb-registry-model/cifar10-classifier:v3"},
            "artifact_version_string",
        ),
        # shell metacharacters: rejected by the patterns, never reach a shell anyway
        (
            {"artifact_version_string": "cifar10-classifier:v3; rm -rf /"},
            "artifact_version_string",
        ),
        ({"artifact_version_string": "cifar10-classifier:$(id)"}, "artifact_version_string"),
        ({"event_author": "jiyoon`curl evil`"}, "event_author"),
        ({"event_author": "a b"}, "event_author"),
        ({"artifact_version_string": "cifar10-classifier:latest"}, "artifact_version_string"),
    ],
)
def test_values_outside_the_allow_list_are_rejected(make_payload, overrides, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(_raw(make_payload("classification", **overrides)), ALLOWED)


def test_schema_violations_are_rejected_with_one_sentence(make_payload):
    good = make_payload("classification")
    cases = {
        "{not json": "not valid JSON",
        "[]": "must be a JSON object",
        _raw({k: v for k, v in good.items() if k != "alias"}): "missing the field 'alias'",
        _raw({**good, "command": "deploy"}): "unknown field 'command'",
        _raw({**good, "alias": ["production"]}): "must be a string",
        '{"alias": "production", "alias": "staging"}': "repeats the field 'alias'",
        '{"event_type": NaN}': "NaN",
        " " * 20_000: "more than",
    }
    for raw, message in cases.items():
        with pytest.raises(PayloadError, match=message) as info:
            parse_payload(raw, ALLOWED)
        assert "\n" not in str(info.value) and str(info.value).endswith(".")


def test_no_allow_list_means_no_deploy(make_payload):
    with pytest.raises(PayloadError, match="no allowed W&B entity"):
        parse_payload(_raw(make_payload("classification")), set())


def test_allowed_entities_come_from_flags_and_environment():
    env = {"VIEWER_ALLOWED_ENTITIES": "team-a, team-b,"}
    assert allowed_entities(["team-c"], env) == {"team-a", "team-b", "team-c"}
    with pytest.raises(PayloadError, match="not a valid W&B entity"):
        allowed_entities(["team/../x"], {})


def test_dispatch_body_is_the_template_the_automation_sends():
    body = dispatch_body()
    assert body["event_type"] == "wandb-model-promoted"
    assert body["client_payload"] == FIELDS
    # every value is a W&B payload variable, so nothing user-controlled is baked in
    assert all(v.startswith("${") and v.endswith("}") for v in FIELDS.values())


def test_the_shipped_local_example_is_a_valid_promotion():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "local-promotion.json"
    promotion = parse_payload(example.read_text(), {"local"})
    assert promotion.artifact_path == "local/wandb-registry-model/cifar10-classifier:v0"


def test_manual_deploy_payload_passes_the_same_validation(monkeypatch, capsys):
    """workflow_dispatch inputs become a payload through the environment, then the same parser."""
    from viewer.payload import main, manual_payload

    env = {"COLLECTION": "cifar10-classifier", "VERSION": "v4", "ENTITY": "team", "ACTOR": "kim"}
    promotion = parse_payload(json.dumps(manual_payload(env)), {"team"})
    assert (promotion.collection, promotion.version, promotion.author) == (
        "cifar10-classifier",
        "v4",
        "kim",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["manual"]) == 0
    assert json.loads(capsys.readouterr().out) == manual_payload(env)
    with pytest.raises(PayloadError, match="payload field 'artifact_version_string'"):
        parse_payload(json.dumps(manual_payload({**env, "VERSION": "v4; rm -rf /"})), {"team"})
    monkeypatch.delenv("VERSION")
    assert main(["manual"]) == 1
    assert "VERSION" in capsys.readouterr().err


@pytest.mark.parametrize("version", ["v٢", "v２", "v0002", "v01", "v-1", "v", "v3\n"])
def test_versions_are_ascii_v0_or_v_without_leading_zeros(make_payload, version):
    """`\\d` took Arabic-Indic and full-width digits, and `v0002` passed as a new version."""
    payload = make_payload("classification", version)
    with pytest.raises(PayloadError, match="artifact_version_string"):
        parse_payload(_raw(payload), ALLOWED)


@pytest.mark.parametrize("version", ["v0", "v2", "v10", "v999999"])
def test_real_version_names_pass(make_payload, version):
    assert parse_payload(_raw(make_payload("classification", version)), ALLOWED).version == version


def test_the_size_limit_counts_utf8_bytes(make_payload):
    """6,000 Hangul syllables are 6,000 characters but 18,000 bytes: over the 16 KiB limit."""
    payload = make_payload("classification", event_author="a" + "가" * 6000)
    raw = _raw(payload).replace("\\uac00", "가")
    assert len(raw) < 16 * 1024 < len(raw.encode())
    with pytest.raises(PayloadError, match="bytes, more than"):
        parse_payload(raw, ALLOWED)


def test_a_deeply_nested_payload_is_one_sentence():
    with pytest.raises(PayloadError, match="nested too deeply"):
        parse_payload("[" * 8000 + "]" * 8000, ALLOWED)


def test_bot_actors_may_run_a_manual_deploy():
    from viewer.payload import manual_payload

    env = {"COLLECTION": "cifar10-classifier", "VERSION": "v4", "ENTITY": "team"}
    for actor in ("renovate[bot]", "dependabot[bot]", "kim"):
        promotion = parse_payload(json.dumps(manual_payload({**env, "ACTOR": actor})), {"team"})
        assert promotion.author == actor
    with pytest.raises(PayloadError, match="event_author"):
        parse_payload(json.dumps(manual_payload({**env, "ACTOR": "x[bot]y"})), {"team"})


def test_manual_payload_requires_no_alias_and_names_a_version():
    """A rollback target holds `previous-production`: a manual payload must not demand
    `production` (before, it always said alias=production and the download refused v1)."""
    from viewer.payload import manual_payload

    env = {"COLLECTION": "cifar10-classifier", "VERSION": "v1", "ENTITY": "team", "ACTOR": "kim"}
    promotion = parse_payload(json.dumps(manual_payload(env)), {"team"})
    assert promotion.manual and promotion.alias == "" and promotion.resolved
    with pytest.raises(PayloadError, match="artifact_version_string"):  # a version, not an alias
        parse_payload(json.dumps(manual_payload({**env, "VERSION": "production"})), {"team"})


def test_an_alias_in_the_version_string_is_accepted_for_resolution(make_payload):
    """W&B may fill `${artifact_version_string}` with the alias (`:production`), not `:vN`."""
    raw = _raw(
        make_payload(
            "classification",
            artifact_version_string="demo-team/wandb-registry-model/cifar10-classifier:production",
        )
    )
    promotion = parse_payload(raw, ALLOWED)
    assert promotion.version == "production" and not promotion.resolved


def test_the_registry_org_entity_is_allow_listed_like_a_team(make_payload):
    """The registry lives in the org's entity: the event may name it, or the version string may."""
    org = "acme-org"
    path = f"{org}/wandb-registry-model/cifar10-classifier:v3"
    raw = _raw(make_payload("classification", entity_name=org, artifact_version_string=path))
    with pytest.raises(PayloadError, match="entity_name"):
        parse_payload(raw, ALLOWED)
    promotion = parse_payload(raw, {*ALLOWED, org})
    assert promotion.artifact_path == f"{org}/wandb-registry-model/cifar10-classifier:v3"
    mixed = _raw(make_payload("classification", artifact_version_string=path))
    with pytest.raises(PayloadError, match="artifact_version_string"):
        parse_payload(mixed, ALLOWED)  # the org entity is not allow-listed
    assert parse_payload(mixed, {*ALLOWED, org}).entity == org


def test_step_summary_shows_the_payload_and_cannot_break_its_fence(make_payload):
    from viewer.payload import step_summary

    hostile = make_payload("classification", event_author="```\n<img src=x onerror=alert(1)>")
    text = step_summary(_raw(hostile))
    fence = text.split("\n")[2].removesuffix("json")
    assert len(fence) > 3 and text.rstrip().endswith(fence)
    assert text.count(fence) == 2
    assert "jiyoon" not in text and "cifar10-classifier:v3" in text


def test_the_deployers_collections_come_from_its_file_and_flags(tmp_path, make_payload):
    """collections.toml beside deployment.json, else the six demo collections; --collections
    adds NAME=MODEL_TYPE. A payload naming a collection outside the list is refused."""
    from viewer.payload import COLLECTIONS, load_collections

    assert load_collections(tmp_path) == COLLECTIONS  # no file: the demo collections
    shipped = Path(__file__).resolve().parents[1] / "collections.toml"
    assert load_collections(shipped.parent) == COLLECTIONS  # the committed file says the same
    (tmp_path / "collections.toml").write_text(
        '[collections]\n"digits-classifier" = "classification"\n'
    )
    own = load_collections(tmp_path, ["flowers-classifier=classification"])
    assert own == {"digits-classifier": "classification", "flowers-classifier": "classification"}
    path = "demo-team/wandb-registry-model/digits-classifier:v1"
    raw = _raw(
        make_payload(
            "classification",
            artifact_collection_name="digits-classifier",
            artifact_version_string=path,
        )
    )
    with pytest.raises(PayloadError, match="artifact_collection_name"):
        parse_payload(raw, ALLOWED)
    promotion = parse_payload(raw, ALLOWED, own)
    assert (promotion.collection, promotion.model_type) == ("digits-classifier", "classification")
    for bad, message in [
        ('[collections]\n"x" = "regression"\n', "is not one of"),
        ('[collections]\n"../x" = "classification"\n', "not a W&B collection"),
        ("collections = 3\n", "no \\[collections\\] table"),
        ("[collections\n", "cannot read"),
    ]:
        (tmp_path / "collections.toml").write_text(bad)
        with pytest.raises(PayloadError, match=message):
            load_collections(tmp_path)
