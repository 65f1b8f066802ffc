"""W&B 모델 배포 뷰어 — serves the model version the W&B Registry promoted to `production`.

    uv run --package viewer streamlit run apps/viewer/app.py      # http://localhost:8501
    streamlit run "$(python -c 'import viewer.ui; print(viewer.ui.APP)')"   # a pip-installed viewer

The app ships inside the viewer package (a wheel holds only what is under `src/`);
`apps/viewer/app.py` is the two-line entry Streamlit Community Cloud runs. This file sits alone in
its folder because Streamlit puts the script's folder first on sys.path: next to `viewer/` modules
such as `models.py` or `payload.py` it would shadow any library's top-level module of that name.

What is served comes from deployment.json (written only by `viewer-deploy`) and each model's card.
With a W&B API key (environment, ~/.netrc, or WANDB_API_KEY in Streamlit secrets) the app also
shows the run's metrics, config and lineage and the registry's versions; without one it shows the
card's own data and the local deployment history, and says so.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from pathlib import Path

import streamlit as st
from wb_common.registry import VersionInfo, list_versions
from wb_common.tasks import MODEL_TYPES, task_of_model_type

from viewer import deployment as dp
from viewer import registry_version
from viewer.inference import Prediction, predict
from viewer.models import NOT_SERVED, ModelLoadError, ServedModel, require_safe_load
from viewer.samples import load_sample
from viewer.serving import load_deployed
from viewer.ui import md
from viewer.uploads import (
    IMAGE_MIME_TYPES,
    IMAGE_TYPES,
    MAX_IMAGE_BYTES,
    MAX_VIDEO_BYTES,
    VIDEO_MIME_TYPES,
    VIDEO_TYPES,
    UploadError,
    read_clip,
    read_image,
)

LABELS = {model_type: task_of_model_type(model_type).label for model_type in MODEL_TYPES}

# How long the first page view waits for W&B before showing the offline view.
WANDB_WAIT_S = float(os.environ.get("VIEWER_WANDB_WAIT_S", "5"))

st.set_page_config(page_title="W&B 모델 배포 뷰어", page_icon="🚀", layout="wide")
# No developer toolbar (rerun, clear cache, deploy) for an audience, wherever the app runs:
# Streamlit Cloud, `streamlit run`, a pip-installed copy. Also set in .streamlit/config.toml.
st.set_option("client.toolbarMode", "viewer")
require_safe_load()  # before the first detection model imports ultralytics


def home() -> Path:
    """The folder holding deployment.json: $VIEWER_HOME, apps/viewer in a checkout (see dp)."""
    return dp.default_home()


def share_streamlit_secret() -> None:
    """Streamlit Cloud keeps the key in st.secrets; wandb and wb_common read the environment."""
    if os.environ.get("WANDB_API_KEY"):
        return
    try:
        key = st.secrets.get("WANDB_API_KEY")
    except Exception:  # no secrets.toml: a laptop or CI
        key = None
    if key:
        os.environ["WANDB_API_KEY"] = str(key)


@st.cache_resource(show_spinner=False)
def _connection() -> Future:
    """One W&B connection attempt per app process, in the background.

    `wandb.Api` verifies the key with the server and retries: with a key but no network that
    takes ~20 s, which must not freeze the page in front of an audience.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="wandb-connect").submit(
        registry_version.connect
    )


def server() -> tuple[object | None, str]:
    """(wandb.Api or None, why not). Waits a few seconds once per session, then never again."""
    wait_s = 0.0 if st.session_state.get("wandb_waited") else WANDB_WAIT_S
    st.session_state["wandb_waited"] = True
    try:
        api = _connection().result(timeout=wait_s)
    except TimeoutError:
        return None, "W&B 서버 응답이 없어 오프라인으로 표시합니다 — W&B is not answering: offline."
    except Exception as err:  # no network, a revoked key: the app still serves
        return None, f"W&B 서버에 연결하지 못했습니다 — could not reach W&B ({type(err).__name__})."
    if api is None:
        return None, "W&B API 키가 없어 오프라인으로 표시합니다 — no W&B API key: offline view."
    return api, ""


@st.cache_data(ttl=60, show_spinner=False)
def cached_model_info(artifact_path: str) -> tuple[dict | None, str]:
    api, why = server()
    if api is None:
        return None, why
    try:
        return registry_version.model_info(api, artifact_path), ""
    except Exception as err:
        return None, f"W&B에서 모델 정보를 가져오지 못했습니다 — W&B lookup failed ({short(err)})."


@st.cache_data(ttl=60, show_spinner=False)
def cached_versions(entity: str, collection: str) -> tuple[list | None, str]:
    api, why = server()
    if api is None:
        return None, why
    try:
        return version_rows(list_versions(api, collection=collection, entity=entity)), ""
    except Exception as err:
        return None, f"Registry 버전을 가져오지 못했습니다 — registry lookup failed ({short(err)})."


def version_rows(versions: list[VersionInfo]) -> list[dict]:
    """The versions table: newest first (list_versions' order), aliases, created, card metrics."""
    return [
        {
            "version": v.version,
            "aliases": ", ".join(v.aliases),
            "created_at": v.created_at,
            **v.metrics,
        }
        for v in versions
    ]


@st.cache_resource(show_spinner="모델을 불러오는 중… Loading the model…")
def cached_model(home_dir: str, artifact_path: str, _deployment: dp.Deployment) -> ServedModel:
    # Keyed by the version: a new deployment loads a new model, reruns reuse the loaded one.
    return load_deployed(Path(home_dir), _deployment)


def project_link(deployment: dp.Deployment, info: dict | None) -> tuple[str, str | None]:
    """(project name, its URL or None): the producing run's entity, else the registry's.

    A model trained offline and deployed from local files has no entity on the server: no link
    is better than a link to a page that does not exist, in front of an audience.
    """
    project = task_of_model_type(deployment.model_type).project
    if info and info.get("run"):  # the server knows the run: its entity and project
        entity, project = info["run"]["path"].split("/")[:2]
        return project, f"https://wandb.ai/{entity}/{project}"
    run_path = deployment.model_card.run_path.split("/")
    entity = run_path[0] if len(run_path) == 3 and run_path[0] else ""
    if not entity and deployment.source == "wandb":
        entity = deployment.artifact_path.split("/")[0]
    return project, f"https://wandb.ai/{entity}/{project}" if entity else None


def short(err: Exception) -> str:
    """The first line of an error, bounded: GraphQL errors can run to pages."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def show_status(deployment: dp.Deployment) -> None:
    st.subheader("🚀 배포 상태 · Deployment")
    cols = st.columns(4)
    cols[0].metric("모델 · Model", deployment.model_name)
    cols[1].metric("버전 · Version", deployment.version)
    cols[2].metric("배포 시각 · Deployed at (UTC)", deployment.deployed_at.replace("T", " ")[:16])
    cols[3].metric("배포자 · By", deployment.deployed_by)
    st.markdown(f"Artifact: `{deployment.artifact_path}` · 출처 · source: `{deployment.source}`")
    smoke = deployment.smoke_test
    if smoke.get("served"):
        st.success(
            f"배포 전 샘플 추론 통과 — sample check passed: {md(smoke['prediction'])} "
            f"({smoke['latency_ms']} ms)"
        )
    elif smoke:
        st.info(smoke.get("reason", ""))


def show_info(deployment: dp.Deployment) -> None:
    st.subheader("📊 모델 정보 · Model")
    card = deployment.model_card
    info, why = cached_model_info(deployment.artifact_path)
    if info is None:
        st.caption(f"{why} 모델 카드의 정보를 표시합니다 — showing the model card.")
        metrics, config = card.metrics, {}
        lineage = [card.dataset_artifact or "?", card.run_path or "?", deployment.artifact_path]
    else:
        metrics, config = info["metrics"] or card.metrics, info["config"]
        run = info["run"] or {}
        lineage = [", ".join(info["datasets"]) or "?", run.get("path", "?"), info["artifact"]]
        if run.get("url"):
            st.markdown(f"학습 run · Training run: [{md(run.get('name'))}]({run['url']})")
    shown = [(k, v) for k, v in metrics.items() if "/" in k][:8] or list(metrics.items())[:8]
    if shown:
        cols = st.columns(len(shown))
        for col, (key, value) in zip(cols, shown, strict=True):
            col.metric(md(key), f"{value:.4g}")
    st.markdown("**계보 · Lineage**: " + " → ".join(md(item) for item in lineage))
    left, right = st.columns(2)
    with left:
        st.markdown("**모델 카드 · Model card**")
        st.json({k: v for k, v in card.to_dict().items() if k not in ("metrics",)}, expanded=False)
    with right:
        st.markdown("**학습 설정 · Training config**")
        if config:
            st.json(config, expanded=False)
        else:
            st.caption("W&B에 연결되면 학습 설정을 표시합니다 — shown when W&B is reachable.")


def show_prediction(prediction: Prediction) -> None:
    if prediction.image is not None and prediction.model_type != "classification":
        st.image(prediction.image, caption="추론 결과 · Prediction", width="stretch")
    st.markdown(f"**예측 · Prediction: {md(prediction.summary)}**")
    if prediction.top:
        st.dataframe(
            [{"클래스 · Class": n, "확률 · Probability": p} for n, p in prediction.top],
            column_config={
                "확률 · Probability": st.column_config.ProgressColumn(
                    format="percent", min_value=0.0, max_value=1.0
                )
            },
            hide_index=True,
        )
    if prediction.legend:
        items = "".join(
            f'<span style="display:inline-block;margin:2px 10px 2px 0">'
            f'<span style="display:inline-block;width:12px;height:12px;'
            f'background:rgb{colour};margin-right:4px"></span>{md(name, in_html=True)} {share:.1%}'
            "</span>"
            for name, colour, share in prediction.legend
        )
        st.markdown(f"범례 · Legend: {items}", unsafe_allow_html=True)
    if prediction.boxes:
        st.dataframe(
            [
                {
                    "클래스 · Class": b["label"],
                    "신뢰도 · Confidence": round(b["confidence"], 4),
                    "박스 · Box (x1, y1, x2, y2)": b["xyxy"],
                }
                for b in prediction.boxes
            ],
            hide_index=True,
        )
    st.caption(f"추론 시간 · Inference: {prediction.latency_ms:.0f} ms (CPU)")


def show_inference(home_dir: Path, deployment: dp.Deployment) -> None:
    st.subheader("🔍 추론 테스트 · Try it")
    model_type = deployment.model_type
    if model_type in NOT_SERVED:
        st.info(NOT_SERVED[model_type])
        show_samples(deployment)
        return
    try:
        served = cached_model(str(home_dir), deployment.artifact_path, deployment)
    except (dp.DeploymentError, ModelLoadError) as err:
        st.error(f"모델을 불러오지 못했습니다 — the model could not be loaded: {err}")
        return
    video = model_type == "video-classification"
    limit_mb = (MAX_VIDEO_BYTES if video else MAX_IMAGE_BYTES) // (1024 * 1024)
    # Extensions and their MIME types: the browser's picker filters by both. With a MIME type in
    # the list Streamlit skips its server-side extension check, which raised a traceback (from
    # the first session_state access, before this line) for a hand-made request named `x.exe`;
    # the bytes decide instead: read_image / read_video open only the formats served.
    uploaded = st.file_uploader(
        "동영상 올리기 · Upload a video" if video else "이미지 올리기 · Upload an image",
        type=[*VIDEO_TYPES, *VIDEO_MIME_TYPES] if video else [*IMAGE_TYPES, *IMAGE_MIME_TYPES],
        key=f"upload-{model_type}",
        max_upload_size=limit_mb,
    )
    use_sample = st.button("샘플로 해 보기 · Try the sample", key=f"sample-{model_type}")
    if uploaded is None and not use_sample:
        return
    try:
        if uploaded is not None:
            data = uploaded.getvalue()
            item = read_clip(data, served.card) if video else read_image(data)
        else:
            item = load_sample(served.card)
    except UploadError as err:
        st.error(str(err))
        return
    try:
        prediction = predict(served, item)
    except Exception as err:  # a model that breaks on this input must not take the app down
        st.error(f"추론에 실패했습니다 — inference failed ({type(err).__name__}: {short(err)}).")
        return
    left, right = st.columns(2)
    with left:
        if video:
            if uploaded is not None:
                st.video(uploaded.getvalue())
            st.caption(
                f"{len(item.frames)}프레임 · frames, {item.start:.1f}–{item.end:.1f} s "
                f"/ {item.duration:.1f} s"
            )
        else:
            st.image(item, caption="입력 · Input", width="stretch")
    with right:
        show_prediction(prediction)


def show_samples(deployment: dp.Deployment) -> None:
    api, why = server()
    st.json(deployment.card, expanded=False)
    if api is None:
        st.caption(f"{why} 학습 run이 기록한 생성 샘플은 W&B에서 볼 수 있습니다.")
        return
    folder = home() / dp.MODELS_DIR / f"{deployment.folder_name}-samples"
    try:
        images = registry_version.sample_generations(api, deployment.artifact_path, folder)
    except Exception as err:
        st.caption(f"생성 샘플을 가져오지 못했습니다 — could not fetch samples ({short(err)}).")
        return
    if images:
        st.image(images, width=256)


def show_versions(deployment: dp.Deployment) -> None:
    st.subheader("📋 버전 이력 · Versions")
    entity = deployment.artifact_path.split("/")[0]
    rows, why = cached_versions(entity, deployment.model_name)
    if rows is not None:
        st.caption("W&B Registry의 버전과 alias — registry versions and aliases.")
        st.dataframe(rows, hide_index=True)
        return
    st.caption(f"{why} 이 서버의 배포 이력을 표시합니다 — showing this host's deployment history.")
    history = [e for e in dp.read_history(home()) if e.get("model_type") == deployment.model_type]
    rows = [
        {
            "버전 · Version": e.get("version"),
            "배포 시각 · Deployed at": e.get("deployed_at"),
            "배포자 · By": e.get("deployed_by"),
            "출처 · Source": e.get("source"),
            "샘플 예측 · Sample": (e.get("smoke_test") or {}).get("prediction", "-"),
        }
        for e in reversed(history)
    ]
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("기록된 배포가 없습니다 — no deployments recorded yet.")


def main() -> None:
    share_streamlit_secret()
    st.title("🚀 W&B 모델 배포 뷰어")
    try:
        deployments = dp.read_deployments(home())
    except dp.DeploymentError as err:
        st.error(f"배포 정보를 읽을 수 없습니다 — cannot read the deployment manifest: {err}")
        return
    if not deployments:
        st.info(
            "아직 배포된 모델이 없습니다. Registry에서 모델 버전에 `production` alias를 주거나, "
            "`viewer-deploy --artifact-dir`로 로컬 모델을 배포해 주세요 — no model is deployed "
            "yet: promote a version to `production`, or run `viewer-deploy --artifact-dir`."
        )
        return
    with st.sidebar:
        st.header("모델 선택 · Model")
        model_type = st.radio(
            "모델 유형 · Model type", list(deployments), format_func=lambda t: LABELS.get(t, t)
        )
        deployment = deployments[model_type]
        project, url = project_link(deployment, cached_model_info(deployment.artifact_path)[0])
        if url:
            st.link_button(f"W&B 프로젝트 · {project}", url)
        else:
            st.caption(f"W&B 프로젝트 · project: `{project}` (로컬 배포 · local files)")
        api, why = server()
        st.caption("W&B: 연결됨 · online" if api is not None else why)
    status, info, inference, versions = st.tabs(
        ["🚀 배포 상태", "📊 모델 정보", "🔍 추론 테스트", "📋 버전 이력"]
    )
    with status:
        show_status(deployment)
    with info:
        show_info(deployment)
    with inference:
        show_inference(home(), deployment)
    with versions:
        show_versions(deployment)


main()
