"""Get the deployed model's files onto this machine and load them, checking every byte.

The files of a deployment live in `models/<collection>-<version>/` next to deployment.json:
`viewer-deploy` leaves them there, so a laptop or an air-gapped box serves without W&B. A fresh
host (Streamlit Community Cloud, a new clone) downloads the same artifact version with the
WANDB_API_KEY secret. Either way the files must match the sha256 that the deploy validated.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from wb_common import lookup

from viewer import deployment as dp
from viewer.models import ServedModel, load_model


def ensure_files(home: Path, deployment: dp.Deployment, api: object | None) -> Path:
    """The folder with the deployment's validated files; downloads them when missing."""
    folder = dp.model_folder(home, deployment)
    if folder.is_dir():
        dp.verify_files(folder, deployment)
        return folder
    if api is None:
        raise dp.DeploymentError(
            f"모델 파일이 이 서버에 없습니다({folder.name}). WANDB_API_KEY를 설정하거나 "
            "viewer-deploy --artifact-dir 로 배포해 주세요 — the model files are not on this "
            "host: set WANDB_API_KEY or deploy with viewer-deploy --artifact-dir."
        )
    # Scratch folders carry this process's id: if it is killed mid-download, the next deploy
    # removes them (viewer.deployment.clean_stale).
    download = dp.scratch_dir(folder.parent, f"{folder.name}-download")
    try:
        # The alias may have moved on since; the version itself is immutable, so fetch it as is.
        api.artifact(deployment.artifact_path, type="model").download(root=str(download))  # type: ignore[attr-defined]
        dp.verify_files(download, deployment)
        partial = dp.scratch_dir(folder.parent, folder.name)
        for name in deployment.files:
            shutil.copy2(download / name, partial / name)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    if not folder.exists():
        partial.rename(folder)
    else:
        shutil.rmtree(partial)
    return folder


def load_deployed(home: Path, deployment: dp.Deployment) -> ServedModel:
    """The deployed model, loaded from verified files and the card that was deployed."""
    api = lookup.connect() if not dp.model_folder(home, deployment).is_dir() else None
    folder = ensure_files(home, deployment, api)
    return load_model(folder, deployment.model_card)
