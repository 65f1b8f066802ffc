"""`viewer-deploy`: a model that cannot serve is never deployed, and a failure changes nothing.

uv run --all-packages pytest apps/viewer/tests/test_deploy.py -q -p no:logging
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from viewer import deployment as dp
from wb_common import ModelCard


@pytest.mark.parametrize(
    "model_type", ["classification", "segmentation", "detection", "video-classification"]
)
def test_deploy_validates_then_records_each_model_type(
    model_type, artifacts, run_deploy, make_payload, viewer_home
):
    code, out, err = run_deploy(
        make_payload(model_type), "--artifact-dir", str(artifacts[model_type])
    )
    assert code == 0, err
    assert out.startswith("viewer-deploy: 배포했습니다 — deployed demo-team/wandb-registry-model/")
    (deployment,) = dp.read_deployments(viewer_home).values()
    assert deployment.model_type == model_type and deployment.version == "v3"
    assert deployment.deployed_by == "jiyoon" and deployment.source == "local"
    assert deployment.smoke_test["served"] is True
    assert deployment.card == ModelCard.read(artifacts[model_type]).to_dict()
    kept = dp.model_folder(viewer_home, deployment)
    dp.verify_files(kept, deployment)  # the kept files are the ones that were validated
    (entry,) = dp.read_history(viewer_home)
    assert entry["artifact_path"] == deployment.artifact_path


def test_same_version_twice_changes_nothing(artifacts, run_deploy, make_payload, viewer_home):
    flags = ("--artifact-dir", str(artifacts["classification"]))
    assert run_deploy(make_payload("classification"), *flags)[0] == 0
    before = (viewer_home / dp.DEPLOYMENT_FILE).read_bytes()
    code, out, _ = run_deploy(make_payload("classification"), *flags)
    assert code == 0 and "already deployed; nothing changed" in out
    assert (viewer_home / dp.DEPLOYMENT_FILE).read_bytes() == before
    assert len(dp.read_history(viewer_home)) == 1


def test_a_second_model_type_keeps_the_first(artifacts, run_deploy, make_payload, viewer_home):
    run_deploy(make_payload("classification"), "--artifact-dir", str(artifacts["classification"]))
    run_deploy(make_payload("segmentation"), "--artifact-dir", str(artifacts["segmentation"]))
    assert set(dp.read_deployments(viewer_home)) == {"classification", "segmentation"}
    code, _, _ = run_deploy(
        make_payload("classification", "v4"), "--artifact-dir", str(artifacts["classification"])
    )
    assert code == 0
    assert dp.read_deployments(viewer_home)["classification"].version == "v4"
    assert [e["version"] for e in dp.read_history(viewer_home)] == ["v3", "v3", "v4"]


def _broken_artifact(tmp_path: Path, source: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    return folder


def _failing_cases(tmp_path: Path, artifacts, make_payload) -> dict[str, tuple]:
    cls = artifacts["classification"]
    truncated = _broken_artifact(tmp_path, cls, "truncated")
    data = (truncated / "model.pth").read_bytes()
    (truncated / "model.pth").write_bytes(data[: len(data) // 2])
    wrong_head = _broken_artifact(tmp_path, cls, "wrong-head")
    state = torch.load(wrong_head / "model.pth", weights_only=True)
    state["fc.weight"], state["fc.bias"] = state["fc.weight"][:3], state["fc.bias"][:3]
    torch.save(state, wrong_head / "model.pth")
    wrong_type = _broken_artifact(tmp_path, artifacts["segmentation"], "wrong-type")
    no_card = _broken_artifact(tmp_path, cls, "no-card")
    (no_card / "model_card.json").unlink()
    pickled_code = _broken_artifact(tmp_path, cls, "pickled-code")
    torch.save({"fc.weight": Path("x")}, pickled_code / "model.pth")  # not plain tensors
    good = make_payload("classification")
    return {
        "malformed JSON": ('{"event_type": ', cls, "not valid JSON"),
        "missing field": (
            {k: v for k, v in good.items() if k != "entity_name"},
            cls,
            "missing the field 'entity_name'",
        ),
        "wrong entity": ({**good, "entity_name": "intruder"}, cls, "entity_name"),
        "wrong registry": ({**good, "project_name": "wandb-registry-data"}, cls, "project_name"),
        "path traversal": (
            {**good, "artifact_collection_name": "../../.ssh"},
            cls,
            "artifact_collection_name",
        ),
        "shell metacharacters": (
            {**good, "artifact_version_string": "cifar10-classifier:v3 && curl x | sh"},
            cls,
            "artifact_version_string",
        ),
        "truncated weights": (good, truncated, "not a torch.save zip archive"),
        "weights for another head": (good, wrong_head, "does not fit resnet18 with 10 classes"),
        "pickled objects in weights": (good, pickled_code, "does not load"),
        "card of another model type": (good, wrong_type, "must hold a classification model"),
        "no model card": (good, no_card, "model card"),
    }


def _korean_first(line: str) -> bool:
    """The sentence after `viewer-deploy: ` begins with Hangul and goes on in English."""
    sentence = line.removeprefix("viewer-deploy: ")
    return "\uac00" <= sentence[:1] <= "\ud7a3" and " — " in sentence


def test_every_failure_leaves_deployment_json_byte_for_byte(
    artifacts, run_deploy, make_payload, viewer_home, tmp_path
):
    # something is deployed already: failures must not touch it
    assert run_deploy(make_payload("video-classification"), "--artifact-dir",
                      str(artifacts["video-classification"]))[0] == 0  # fmt: skip
    manifest = viewer_home / dp.DEPLOYMENT_FILE
    before, history_before = manifest.read_bytes(), dp.read_history(viewer_home)
    for case, (payload, folder, message) in _failing_cases(
        tmp_path, artifacts, make_payload
    ).items():
        code, out, err = run_deploy(payload, "--artifact-dir", str(folder))
        assert code == 2, case  # refused: the payload or the artifact, not the environment
        assert out == "", case
        assert message in err, f"{case}: {err}"
        assert err.count("\n") == 1 and err.startswith("viewer-deploy: "), f"{case}: {err}"
        assert _korean_first(err), f"{case}: {err}"
        assert manifest.read_bytes() == before, case
    assert dp.read_history(viewer_home) == history_before
    assert not list(viewer_home.glob(".deployment.json.*"))  # no temporary file left behind


def test_a_corrupt_manifest_is_never_overwritten(artifacts, run_deploy, make_payload, viewer_home):
    manifest = viewer_home / dp.DEPLOYMENT_FILE
    manifest.write_bytes(b'{"schema": 1, "models": {"classification": 12}')
    code, _, err = run_deploy(
        make_payload("classification"), "--artifact-dir", str(artifacts["classification"])
    )
    assert code == 1 and "Fix or delete it" in err
    assert manifest.read_bytes() == b'{"schema": 1, "models": {"classification": 12}'


def test_history_failure_restores_the_old_manifest(
    artifacts, run_deploy, make_payload, viewer_home
):
    (viewer_home / dp.HISTORY_FILE).mkdir()  # appending to a folder fails
    code, _, err = run_deploy(
        make_payload("classification"), "--artifact-dir", str(artifacts["classification"])
    )
    assert code == 1 and "nothing deployed" in err
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()


def test_payload_from_an_environment_variable(
    artifacts, make_payload, viewer_home, monkeypatch, capsys
):
    from viewer.deploy import main

    monkeypatch.setenv("CLIENT_PAYLOAD", json.dumps(make_payload("segmentation")))
    args = ["--payload-env", "CLIENT_PAYLOAD", "--artifact-dir", str(artifacts["segmentation"])]
    assert main([*args, "--home", str(viewer_home)]) == 0
    assert main(["--payload-env", "NOT_SET", "--home", str(viewer_home)]) == 2
    assert "NOT_SET is not set" in capsys.readouterr().err
    assert main(["--home", str(viewer_home)]) == 2
    assert "exactly one of --payload-file" in capsys.readouterr().err


def test_deploy_straight_from_an_offline_training_run(
    artifacts, run_deploy, make_payload, viewer_home
):
    """No W&B account: the model artifact cls-train logged offline is deployed as it is."""
    code, _, err = run_deploy(
        make_payload("classification"), "--offline-run", str(artifacts.cls_run)
    )
    assert code == 0, err
    deployment = dp.read_deployments(viewer_home)["classification"]
    assert deployment.files == dp.file_hashes(artifacts["classification"], list(deployment.files))
    # the same version again: nothing changes; with both sources given: refused
    assert (
        "nothing changed"
        in run_deploy(make_payload("classification"), "--offline-run", str(artifacts.cls_run))[1]
    )
    code, _, err = run_deploy(
        make_payload("classification", "v9"),
        "--offline-run",
        str(artifacts.cls_run),
        "--artifact-dir",
        str(artifacts["classification"]),
    )
    assert code == 2 and "not both" in err
    code, _, err = run_deploy(
        make_payload("classification", "v9"), "--offline-run", str(viewer_home)
    )
    assert code == 2 and "is not a W&B run folder" in err


def test_download_path_uses_the_registry_version(
    artifacts, run_deploy, make_payload, viewer_home, fake_api_for, monkeypatch
):
    """Uses a test double of wandb.Api (the W&B server is unreachable here)."""
    from viewer import registry_version

    api = fake_api_for("classification")
    monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
    code, _, err = run_deploy(make_payload("classification"))
    assert code == 0, err
    assert (
        "artifact",
        "demo-team/wandb-registry-model/cifar10-classifier:v3",
        "model",
    ) in api.calls
    assert dp.read_deployments(viewer_home)["classification"].source == "wandb"
    (version,) = [v for v in api.versions if v.version == "v3"]
    assert version.downloads == ["model_card.json", "model.pth"]  # the served files, one by one


def test_download_refuses_a_version_that_lost_the_alias(
    run_deploy, make_payload, viewer_home, fake_api_for, monkeypatch
):
    """Uses a test double of wandb.Api: v3 was promoted, then production moved on to v4."""
    from viewer import registry_version

    api = fake_api_for("classification", versions=("v3", "v4"), production="v4")
    monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
    code, _, err = run_deploy(make_payload("classification", "v3"))
    assert code == 1 and "no longer has the alias 'production'" in err
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()


def test_without_a_key_or_folder_the_deploy_says_what_to_do(run_deploy, make_payload):
    code, _, err = run_deploy(make_payload("classification"))
    assert code == 1 and "set WANDB_API_KEY" in err and "--artifact-dir" in err


def test_lora_models_are_checked_but_not_served(run_deploy, make_payload, viewer_home, tmp_path):
    from llm_train.config import Config
    from llm_train.model import model_card

    folder = tmp_path / "lora"
    folder.mkdir()
    card = model_card(Config())  # llm-train's own card for its adapter
    from safetensors.torch import save_file

    save_file({"lora_A.weight": torch.zeros(2, 2)}, folder / card.weights_file)
    card.write(folder)
    code, out, err = run_deploy(make_payload("llm-lora"), "--artifact-dir", str(folder))
    assert code == 0, err
    assert "not served on CPU" in out
    assert dp.read_deployments(viewer_home)["llm-lora"].smoke_test["served"] is False


def test_console_script_runs_as_the_workflow_calls_it(viewer_home, make_payload, tmp_path):
    """The installed `viewer-deploy` entry point, in a subprocess, with a payload it rejects."""
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(make_payload("classification", entity_name="intruder")))
    script = Path(sys.executable).parent / "viewer-deploy"
    result = subprocess.run(
        [str(script), "--payload-file", str(payload), "--home", str(viewer_home)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("viewer-deploy: 페이로드를 거부했습니다: 페이로드 필드")
    assert "payload field 'entity_name'" in result.stderr and "Traceback" not in result.stderr


def _digits_run(root: Path) -> Path:
    """A `digits-classifier` offline run: cls-train on an own ImageFolder (`digits/`, three
    class folders of tiny PNGs), as a user's own data would be, with random init."""
    import dataclasses

    import numpy as np
    from cls_train.config import Config
    from cls_train.train import train
    from PIL import Image
    from wb_testing.fixtures import isolate_wandb

    rng = np.random.default_rng(0)
    for digit in ("0", "1", "2"):
        (root / "digits" / digit).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 255, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(root / "digits" / digit / f"{i}.png")
    with pytest.MonkeyPatch.context() as mp:
        isolate_wandb(mp, root / "wandb")
        cfg = Config(dataset="imagefolder", data_dir=root / "digits", pretrained=False,
                     img_size=32, epochs=1, batch_size=8, sample_table_size=4,
                     val_table_size=4, output_dir=root / "out")  # fmt: skip
        result = train(dataclasses.replace(cfg))
    assert result.run_dir is not None
    return result.run_dir


def test_an_own_model_deploys_under_its_own_name_with_no_payload(
    tmp_path, viewer_home, capsys, monkeypatch
):
    """`viewer-deploy --offline-run RUN` alone: entity `local`, the run's own collection
    (`digits-classifier`, not one of the six demo names), v0; the app's loader serves it."""
    from viewer.deploy import main
    from viewer.inference import predict
    from viewer.samples import load_sample
    from viewer.serving import load_deployed
    from wb_common.payload import example_client_payload

    run_dir = _digits_run(tmp_path / "own")
    capsys.readouterr()
    monkeypatch.delenv("VIEWER_ALLOWED_ENTITIES")  # no payload: no allow-list needed
    assert main(["--offline-run", str(run_dir), "--home", str(viewer_home)]) == 0
    out = capsys.readouterr().out
    assert "local/wandb-registry-model/digits-classifier:v0" in out
    deployment = dp.read_deployments(viewer_home)["classification"]
    assert deployment.model_name == "digits-classifier" and deployment.version == "v0"
    assert deployment.deployed_by == "local" and deployment.source == "local"
    served = load_deployed(viewer_home, deployment)
    assert served.card.class_names == ["0", "1", "2"]
    assert predict(served, load_sample(served.card)).top[0][0] in {"0", "1", "2"}
    # the same run again changes nothing; a payload naming digits-classifier needs the list
    assert main(["--offline-run", str(run_dir), "--home", str(viewer_home)]) == 0
    assert "already deployed" in capsys.readouterr().out
    assert len(dp.read_history(viewer_home)) == 1
    monkeypatch.setenv("VIEWER_ALLOWED_ENTITIES", "demo-team")
    payload = tmp_path / "p.json"
    own = example_client_payload("demo-team", "digits-classifier", "v5", author="jiyoon")
    payload.write_text(json.dumps(own))
    flags = ["--payload-file", str(payload), "--offline-run", str(run_dir), "--home",
             str(viewer_home)]  # fmt: skip
    assert main(flags) == 2
    assert "artifact_collection_name" in capsys.readouterr().err
    assert main([*flags, "--collections", "digits-classifier=classification"]) == 0, (
        capsys.readouterr().err
    )
    assert dp.read_deployments(viewer_home)["classification"].version == "v5"


def test_bad_input_is_one_korean_first_sentence_and_exit_2(
    artifacts, make_payload, viewer_home, tmp_path, capsys
):
    """Before: most of these were English only ("give exactly one of ...", "rejected payload:
    payload is not valid JSON", "--artifact-dir X is not a folder", ...)."""
    from viewer.deploy import main

    cls = str(artifacts["classification"])
    good = make_payload("classification")
    by_alias = "demo-team/wandb-registry-model/cifar10-classifier:production"
    cases = {  # case -> (the payload file's text or None, the other flags)
        "malformed payload": ('{"event_type": ', ["--artifact-dir", cls]),
        "not an object": ("[1, 2]", ["--artifact-dir", cls]),
        "unknown collection": ({**good, "artifact_collection_name": "nope"}, []),
        "unknown field": ({**good, "command": "x"}, []),
        "a collection of no model type": (good, ["--collections", "x=teleporter"]),
        "missing payload file": (None, ["--payload-file", str(tmp_path / "missing.json")]),
        "unset payload variable": (None, ["--payload-env", "WB_DEMO_NOT_SET"]),
        "no payload": (None, []),
        "missing artifact folder": (good, ["--artifact-dir", str(tmp_path / "missing")]),
        "both local sources": (good, ["--artifact-dir", cls, "--offline-run", str(tmp_path)]),
        "manual flag on a webhook payload": (good, ["--manual"]),
        "an alias with local files": (
            {**good, "artifact_version_string": by_alias},
            ["--artifact-dir", cls],
        ),
        "missing run folder": (None, ["--offline-run", str(tmp_path / "no-run")]),
    }
    payload = tmp_path / "payload.json"
    for case, (data, flags) in cases.items():
        if data is not None:
            payload.write_text(data if isinstance(data, str) else json.dumps(data))
            flags = ["--payload-file", str(payload), *flags]
        code = main([*flags, "--home", str(viewer_home)])
        out, err = capsys.readouterr()
        assert code == 2 and out == "", f"{case}: {out}{err}"
        assert err.count("\n") == 1 and "Traceback" not in err, f"{case}: {err}"
        assert _korean_first(err), f"{case}: {err}"
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()
