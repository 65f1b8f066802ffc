"""Untrusted artifacts, round 2: no weights format runs code, a strict card, only what is served
is downloaded, and nothing from a card or payload reorders what a reviewer reads.

uv run --all-packages pytest apps/viewer/tests/test_untrusted_artifacts.py -q -p no:logging
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import warnings
from pathlib import Path

import pytest
import torch
from viewer import deployment as dp
from viewer.models import ModelLoadError, load_model
from wb_common import ModelCard, ModelCardError

# --- 1. TorchScript weights: the model's own code would run in the deploy and in the app -------


class _MarkerWriter(torch.nn.Module):
    """A TorchScript model whose forward writes a file: what a hostile `best.torchscript` does
    (torch.save inside forward writes anywhere; torch.from_file reads anywhere)."""

    def __init__(self, marker: str, outputs: int) -> None:
        super().__init__()
        self.marker = marker
        self.outputs = outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.serialization.save(x, self.marker)  # torch.save (Ultralytics patches that name)
        return torch.zeros(x.shape[0], self.outputs, 8)


def _torchscript_detector(artifacts, folder: Path, marker: Path, weights_file: str) -> Path:
    """The detector's card, naming `weights_file`, beside a TorchScript model saved with the
    metadata Ultralytics' own TorchScript export writes (so YOLO() takes it as a detector)."""
    card = ModelCard.read(artifacts["detection"])
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated, and still works
        scripted = torch.jit.script(_MarkerWriter(str(marker), 4 + len(card.class_names)))
    meta = {"names": dict(enumerate(card.class_names)), "stride": 32, "task": "detect",
            "imgsz": card.input_size, "batch": 1}  # fmt: skip
    scripted.save(str(folder / weights_file), _extra_files={"config.txt": json.dumps(meta)})
    data = {**card.to_dict(), "weights_file": weights_file}
    (folder / "model_card.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


@pytest.mark.parametrize("weights_file", ["best.torchscript", "best.pt"])
def test_torchscript_weights_are_refused_and_run_nothing(
    artifacts, tmp_path, run_deploy, make_payload, viewer_home, weights_file
):
    """`best.torchscript` (refused by suffix) and the same archive renamed `best.pt` (refused by
    its bytes): the deploy exits 2 with one sentence, Korean then English, and the model's
    forward never runs — neither in the deploy's smoke test nor in the app's loader."""
    marker = tmp_path / "marker"
    folder = _torchscript_detector(artifacts, tmp_path / "hostile", marker, weights_file)
    code, out, err = run_deploy(make_payload("detection"), "--artifact-dir", str(folder))
    assert code == 2, out + err
    assert out == "" and err.count("\n") == 1
    sentence = err.removeprefix("viewer-deploy: ")
    assert sentence[0] in "모가" and " — " in sentence  # Korean first, then English
    assert "TorchScript" in err or "must end in .pt" in err
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()
    assert not marker.exists(), "the TorchScript forward ran"

    # the app's loader refuses it again, whatever the host holds
    with pytest.raises((ModelLoadError, ModelCardError)) as refused:
        load_model(folder)
    assert "TorchScript" in str(refused.value) or "must end in .pt" in str(refused.value)
    assert not marker.exists(), "the TorchScript forward ran"


def test_a_torchscript_classifier_renamed_model_pth_is_refused_by_the_loader(artifacts, tmp_path):
    folder = shutil.copytree(artifacts["classification"], tmp_path / "scripted")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.script(torch.nn.Linear(3, 2)).save(str(folder / "model.pth"))
    with pytest.raises(ModelLoadError, match="TorchScript archive"):
        load_model(folder)


# --- 5. a strict card and finite outputs -----------------------------------------------------


def _card_variant(tmp_path: Path, source: Path, name: str, old: str, new: str) -> Path:
    folder = shutil.copytree(source, tmp_path / name)
    text = json.dumps(json.loads((folder / "model_card.json").read_text()))
    assert old in text
    (folder / "model_card.json").write_text(text.replace(old, new, 1))
    return folder


def test_bad_cards_and_non_finite_outputs_are_refused_and_change_nothing(
    artifacts, tmp_path, run_deploy, make_payload, viewer_home
):
    cls = artifacts["classification"]
    mean = json.dumps(ModelCard.read(cls).normalization["mean"])[1:-1]  # "0.485, 0.456, 0.406"
    nan_weights = shutil.copytree(cls, tmp_path / "nan-weights")
    state = torch.load(nan_weights / "model.pth", weights_only=True)
    state["fc.bias"] = torch.full_like(state["fc.bias"], float("nan"))
    torch.save(state, nan_weights / "model.pth")
    cases = {
        "NaN in the card": (_card_variant(tmp_path, cls, "nan", mean, "NaN, 0.4, 0.4"), "NaN"),
        "1e400 in the card": (
            _card_variant(tmp_path, cls, "big", mean, "1e400, 0.4, 0.4"),
            "not finite",
        ),
        "a repeated key": (
            _card_variant(
                tmp_path, cls, "dup", '"model_type"', '"weights_file": "x.pth", "model_type"'
            ),
            "repeats the key 'weights_file'",
        ),
        "a mean of two numbers": (
            _card_variant(tmp_path, cls, "mean", mean, "0.4, 0.4"),
            "three finite numbers",
        ),
        "NaN outputs": (nan_weights, "NaN or infinity"),
    }
    assert (
        run_deploy(make_payload("segmentation"), "--artifact-dir", str(artifacts["segmentation"]))[
            0
        ]
        == 0
    )
    before = (viewer_home / dp.DEPLOYMENT_FILE).read_bytes()
    for case, (folder, message) in cases.items():
        code, out, err = run_deploy(make_payload("classification"), "--artifact-dir", str(folder))
        assert code == 2 and out == "", f"{case}: {out}{err}"
        assert message in err and err.count("\n") == 1, f"{case}: {err}"
        assert (viewer_home / dp.DEPLOYMENT_FILE).read_bytes() == before, case
        assert "nan" not in (viewer_home / dp.DEPLOYMENT_FILE).read_text().lower(), case


def test_a_fifo_card_is_refused_without_blocking_the_deploy(
    artifacts, tmp_path, run_deploy, make_payload
):
    """model_card.json as a FIFO: before, `viewer-deploy --artifact-dir` blocked forever. The
    deploy runs in a thread with a timeout, so a regression fails here instead of hanging CI."""
    folder = tmp_path / "fifo"
    folder.mkdir()
    shutil.copy2(artifacts["classification"] / "model.pth", folder / "model.pth")
    os.mkfifo(folder / "model_card.json")
    result: list[tuple[int, str, str]] = []
    worker = threading.Thread(
        target=lambda: result.append(
            run_deploy(make_payload("classification"), "--artifact-dir", str(folder))
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # release the blocked open(), then fail
        os.close(os.open(folder / "model_card.json", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("viewer-deploy blocked on a FIFO model_card.json")
    code, _, err = result[0]
    assert code == 2 and "not a regular file" in err


# --- 6. download only what is served ---------------------------------------------------------


def test_only_the_card_and_the_weights_are_downloaded_within_bounds(
    run_deploy, make_payload, viewer_home, fake_api_for, monkeypatch
):
    """Uses a test double of wandb.Api whose version's manifest also lists a 5 GB extra file
    (sizes as the manifest states them, as the server's ArtifactManifestEntry.size does)."""
    from viewer import registry_version, serving

    api = fake_api_for("classification", versions=("v3",))
    (version,) = api.versions
    version.files = {"checkpoints/huge.bin": b"x" * 16}
    version.sizes = {"checkpoints/huge.bin": 5 << 30}
    monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
    code, _, err = run_deploy(make_payload("classification"))
    assert code == 0, err
    assert version.downloads == ["model_card.json", "model.pth"]  # never the extra, never "*"

    # the app on a fresh host fetches the same two files, and nothing else
    deployment = dp.read_deployments(viewer_home)["classification"]
    shutil.rmtree(viewer_home / dp.MODELS_DIR)
    version.downloads.clear()
    folder = serving.ensure_files(viewer_home, deployment, api)
    assert sorted(p.name for p in folder.iterdir()) == ["model.pth", "model_card.json"]
    assert version.downloads == ["model_card.json", "model.pth"]

    # weights the manifest says are over the bound: refused before they are fetched
    version.sizes = {"model.pth": serving.MAX_WEIGHTS_BYTES + 1}
    version.downloads.clear()
    shutil.rmtree(viewer_home / dp.MODELS_DIR)
    with pytest.raises(dp.DeploymentError, match="over the bound"):
        serving.ensure_files(viewer_home, deployment, api)
    assert "model.pth" not in version.downloads


def test_oversized_weights_are_refused_by_the_deploy(
    run_deploy, make_payload, viewer_home, fake_api_for, monkeypatch
):
    """Uses a test double of wandb.Api whose manifest states weights over MAX_WEIGHTS_BYTES."""
    from viewer import registry_version, serving

    api = fake_api_for("classification", versions=("v3",))
    (version,) = api.versions
    version.sizes = {"model.pth": serving.MAX_WEIGHTS_BYTES + 1}
    monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
    code, _, err = run_deploy(make_payload("classification"))
    assert code == 2 and "over the bound" in err and err.count("\n") == 1
    assert version.downloads == ["model_card.json"]
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()


# --- 7. bidi and control characters never reach Markdown unescaped ---------------------------


def test_bidi_overrides_never_reach_the_step_summary_or_the_page(make_payload):
    from viewer.payload import step_summary
    from viewer.ui import md

    hostile = make_payload("classification", event_author="kim\u202egnp.exe\u2066x\u200b")
    for text in (
        step_summary(json.dumps(hostile, ensure_ascii=False)),
        step_summary("not json \u202e {"),
        md("cat\u202egod"),
        md("cat\u202egod", in_html=True),
    ):
        assert not any(c in text for c in "\u202e\u2066\u200b"), text
        assert "u202e" in text
    assert "kim\\u202egnp.exe" in step_summary(json.dumps(hostile, ensure_ascii=False))
