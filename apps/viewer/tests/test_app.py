"""The Streamlit app, page by page, through Streamlit's AppTest with real models.

uv run --all-packages pytest apps/viewer/tests/test_app.py -q -p no:logging
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from viewer import deployment as dp
from viewer.samples import SAMPLE_IMAGE, SAMPLE_VIDEO
from viewer.ui import APP  # the app inside the package, as a pip-installed viewer runs it

SHIM = Path(__file__).resolve().parents[1] / "app.py"  # Streamlit Community Cloud's main file


@pytest.fixture
def app(viewer_home):
    """A fresh app session over `viewer_home`, with Streamlit's caches emptied."""
    st.cache_data.clear()
    st.cache_resource.clear()

    def start() -> AppTest:
        return AppTest.from_file(str(APP), default_timeout=120).run()

    return start


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "error", "success")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def _deploy(run_deploy, make_payload, artifacts, model_type: str) -> None:
    code, _, err = run_deploy(
        make_payload(model_type), "--artifact-dir", str(artifacts[model_type])
    )
    assert code == 0, err


def test_nothing_deployed_yet_says_how_to_deploy(app):
    at = app()
    assert not at.exception
    assert "아직 배포된 모델이 없습니다" in at.info[0].value


def test_a_corrupt_manifest_is_one_message_not_a_traceback(app, viewer_home):
    (viewer_home / dp.DEPLOYMENT_FILE).write_text('{"schema": 1, "models": ')
    at = app()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("배포 정보를 읽을 수 없습니다")


def test_classification_pages_offline(app, run_deploy, make_payload, artifacts):
    _deploy(run_deploy, make_payload, artifacts, "classification")
    at = app()
    assert not at.exception
    # sidebar: model type and the W&B project (trained offline: no entity, so no link)
    assert at.sidebar.radio[0].options == ["이미지 분류 · Classification"]
    assert not at.sidebar.get("link_button")
    assert "`wandb-e2e-demo-image-classification` (로컬 배포 · local files)" in _texts(at)
    # deployment status
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["모델 · Model"] == "cifar10-classifier" and metrics["버전 · Version"] == "v3"
    assert metrics["배포자 · By"] == "jiyoon"
    # model information: from the card, and it says why
    assert "모델 카드의 정보를 표시합니다" in _texts(at)
    assert "val/acc" in metrics
    # version history: this host's deployments
    assert "이 서버의 배포 이력을 표시합니다" in _texts(at)
    assert at.dataframe[-1].value["버전 · Version"].tolist() == ["v3"]


def test_upload_predicts_and_bad_uploads_keep_the_app_serving(
    app, run_deploy, make_payload, artifacts
):
    from viewer.inference import predict
    from viewer.models import load_model
    from viewer.uploads import read_image

    _deploy(run_deploy, make_payload, artifacts, "classification")
    at = app()
    uploader = at.file_uploader[0]
    assert {".png", ".jpg", ".webp"} <= set(uploader.allowed_type)
    assert ".mp4" not in uploader.allowed_type
    data = SAMPLE_IMAGE.read_bytes()
    uploader.set_value(("disc.png", data, "image/png"))
    at.run()
    expected = predict(load_model(artifacts["classification"]), read_image(data)).summary
    assert f"**예측 · Prediction: {expected}**" in _texts(at)
    assert at.dataframe[0].value["클래스 · Class"].tolist()[0] == expected.rsplit(" ", 1)[0]

    for bad, message in [
        (b"MZ\x90\x00 not an image", "이미지 파일이 아닙니다"),
        (data[:500], "손상되었거나 잘려"),
    ]:
        at.file_uploader[0].set_value(("bad.png", bad, "image/png"))
        at.run()
        assert not at.exception
        assert [e.value for e in at.error if message in e.value], message
    at.file_uploader[0].set_value(("disc.png", data, "image/png"))
    at.run()
    assert not at.error and f"**예측 · Prediction: {expected}**" in _texts(at)


@pytest.mark.parametrize(
    ("model_type", "label", "expect"),
    [
        ("segmentation", "이미지 분할 · Segmentation", "범례 · Legend"),
        ("detection", "객체 탐지 · Detection", "**예측 · Prediction: "),
        ("video-classification", "동영상 분류 · Video classification", "**예측 · Prediction: "),
    ],
)
def test_each_model_type_serves_its_sample(
    app, run_deploy, make_payload, artifacts, model_type, label, expect
):
    _deploy(run_deploy, make_payload, artifacts, "classification")
    _deploy(run_deploy, make_payload, artifacts, model_type)
    at = app()
    at.sidebar.radio[0].set_value(model_type).run()
    assert at.sidebar.radio[0].value == model_type
    assert label in at.sidebar.radio[0].options
    if model_type == "video-classification":
        assert "mp4" in str(at.file_uploader[0].allowed_type)
        at.file_uploader[0].set_value(("clip.mp4", SAMPLE_VIDEO.read_bytes(), "video/mp4"))
    else:
        at.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert expect in _texts(at)
    if model_type == "segmentation":
        assert at.image, "the mask overlay is shown"
    if model_type == "detection":  # boxes drawn, and listed with their confidence
        assert at.image
        assert "신뢰도 · Confidence" in at.dataframe[0].value.columns


def test_missing_model_files_without_a_key_is_one_message(
    app, run_deploy, make_payload, artifacts, viewer_home
):
    import shutil

    _deploy(run_deploy, make_payload, artifacts, "classification")
    shutil.rmtree(viewer_home / dp.MODELS_DIR)
    at = app()
    assert not at.exception
    (error,) = at.error
    assert "모델 파일이 이 서버에 없습니다" in error.value and "WANDB_API_KEY" in error.value


def test_tampered_model_files_are_refused(app, run_deploy, make_payload, artifacts, viewer_home):
    _deploy(run_deploy, make_payload, artifacts, "classification")
    (weights,) = (viewer_home / dp.MODELS_DIR).glob("*/model.pth")
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    at = app()
    assert not at.exception
    assert "differs from the file that was validated" in at.error[0].value


def test_online_pages_use_the_wandb_api(
    app, run_deploy, make_payload, artifacts, viewer_home, fake_api_for, monkeypatch
):
    """Uses a test double of wandb.Api for the run's metrics, lineage and the registry versions;
    with the model files gone, the app downloads the deployed version through it too."""
    import shutil

    from viewer import registry_version

    _deploy(run_deploy, make_payload, artifacts, "classification")
    shutil.rmtree(viewer_home / dp.MODELS_DIR)
    api = fake_api_for("classification", versions=("v1", "v2", "v3"))
    monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
    at = app()
    assert not at.exception and not at.error, [e.value for e in at.error]
    texts = _texts(at)
    assert "W&B: 연결됨 · online" in texts
    (link,) = at.sidebar.get("link_button")
    assert link.proto.url == "https://wandb.ai/demo-team/wandb-e2e-demo-image-classification"
    assert "[brisk-river-7](https://wandb.ai/demo-team/" in texts  # the training run
    assert "synthetic-cifar10:v0" in texts and "cifar10-classifier:v3" in texts  # lineage
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["val/acc"] == "0.91"  # the run's summary, not the card
    versions = at.dataframe[-1].value  # wb_common.registry.list_versions, one collection
    assert ("artifacts", "model", "demo-team/wandb-registry-model/cifar10-classifier") in api.calls
    assert versions["version"].tolist() == ["v3", "v2", "v1"]
    assert versions["aliases"].tolist() == ["production", "staging", "staging"]
    assert versions["created_at"].tolist() == ["2026-11-20T09:00:00Z"] * 3
    assert versions["val/acc"].tolist() == pytest.approx([0.03, 0.02, 0.01])  # the card's
    assert (viewer_home / dp.MODELS_DIR / "cifar10-classifier-v3" / "model.pth").is_file()
    at.button[0].click().run()  # the downloaded model serves
    assert "**예측 · Prediction: " in _texts(at)


def test_lora_models_show_their_card_and_say_why(app, run_deploy, make_payload, tmp_path):
    from gen_train.config import Config
    from gen_train.model import model_card

    folder = tmp_path / "lora"
    folder.mkdir()
    card = model_card(Config())  # gen-train's own card for its LoRA
    import torch
    from safetensors.torch import save_file

    save_file({"lora_A.weight": torch.zeros(2, 2)}, folder / card.weights_file)
    card.write(folder)
    code, _, err = run_deploy(make_payload("diffusion-lora"), "--artifact-dir", str(folder))
    assert code == 0, err
    at = app()
    assert not at.exception and not at.file_uploader
    assert any("CPU 서버에서 실시간 생성하지 않습니다" in i.value for i in at.info)


def test_a_slow_wandb_server_does_not_freeze_the_page(
    app, run_deploy, make_payload, artifacts, monkeypatch
):
    """Uses a stand-in for registry_version.connect that hangs like wandb.Api does offline."""
    import threading

    from viewer import registry_version

    release, returned = threading.Event(), threading.Event()

    def hanging_connect(timeout: int = 15) -> None:
        release.wait(30)  # wandb.Api with a key and no network: ~20 s of retries
        returned.set()

    _deploy(run_deploy, make_payload, artifacts, "classification")
    monkeypatch.setattr(registry_version, "connect", hanging_connect)
    monkeypatch.setenv("VIEWER_WANDB_WAIT_S", "0.5")
    at = app()
    assert not returned.is_set()  # the page was drawn while the connection still hung
    release.set()
    assert not at.exception and not at.error
    assert "W&B 서버 응답이 없어 오프라인으로 표시합니다" in _texts(at)
    assert {m.label: m.value for m in at.metric}["버전 · Version"] == "v3"


def test_cloud_main_file_runs_the_packaged_app(app, run_deploy, make_payload, artifacts):
    """apps/viewer/app.py (Streamlit Cloud's main file) renders the same page as the package."""
    _deploy(run_deploy, make_payload, artifacts, "classification")
    assert len(SHIM.read_text().splitlines()) < 25, "the shim stays a shim"
    at = AppTest.from_file(str(SHIM), default_timeout=120).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["버전 · Version"] == "v3"


def test_when_streamlit_cannot_start_its_own_message_reaches_the_user(tmp_path, monkeypatch):
    """Before, Streamlit's output went to DEVNULL and the user read only "exited with code 2"."""
    from viewer import rehearse

    monkeypatch.setattr(rehearse, "APP", tmp_path / "no-such-app.py")
    with pytest.raises(rehearse.RehearsalError) as caught:
        rehearse.start_viewer(tmp_path, dict(os.environ))
    message = str(caught.value)
    assert "exited with code" in message
    assert "does not exist" in message  # Streamlit's own words


def test_class_names_cannot_inject_markdown(app, run_deploy, make_payload, artifacts, tmp_path):
    """A card's class names reach st.markdown: `![x](url)` would load a beacon image for every
    visitor (html.escape leaves Markdown alone). They must show as plain text."""
    import json
    import shutil

    folder = shutil.copytree(artifacts["classification"], tmp_path / "hostile")
    card = json.loads((folder / "model_card.json").read_text())
    names = [
        f"![b{i}](http://127.0.0.1:9/{i}.png) $x^{i}$" for i in range(len(card["class_names"]))
    ]
    (folder / "model_card.json").write_text(json.dumps({**card, "class_names": names}))
    code, _, err = run_deploy(make_payload("classification"), "--artifact-dir", str(folder))
    assert code == 0, err
    at = app()
    at.button[0].click().run()
    assert not at.exception
    rendered = _texts(at) + "\n".join(s.value for s in at.success)
    assert "**예측 · Prediction: \\!\\[b" in rendered  # the top class, escaped
    # no image, link or LaTeX: every `]` before `(` and every `$` carries Markdown's escape
    assert not re.search(r"(?<!\\)\]\\?\(http|(?<!\\)\$x", rendered), rendered


def test_a_forged_upload_with_another_extension_is_one_message(
    app, run_deploy, make_payload, artifacts
):
    """The browser filters by extension; a hand-made request does not. Before: a traceback."""
    _deploy(run_deploy, make_payload, artifacts, "classification")
    at = app()
    at.file_uploader[0].set_value(("evil.exe", b"MZ\x90\x00", "application/octet-stream"))
    at.run()
    assert not at.exception
    assert any("지원하는 이미지 파일이 아닙니다" in e.value for e in at.error)


def test_no_developer_toolbar_for_the_audience(app, run_deploy, make_payload, artifacts):
    """client.toolbarMode=viewer: no rerun / clear cache / deploy menu on stage, wherever the
    app runs (set by the app itself and in apps/viewer/.streamlit/config.toml)."""
    import tomllib

    _deploy(run_deploy, make_payload, artifacts, "classification")
    st.set_option("client.toolbarMode", "auto")
    at = app()
    assert not at.exception
    assert st.get_option("client.toolbarMode") == "viewer"
    config = tomllib.loads((SHIM.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
