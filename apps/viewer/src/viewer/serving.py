"""Get the deployed model's files onto this machine and load them, checking every byte.

The files of a deployment live in `models/<collection>-<version>/` next to deployment.json:
`viewer-deploy` leaves them there, so a laptop or an air-gapped box serves without W&B. A fresh
host (Streamlit Community Cloud, a new clone) downloads the same artifact version with the
WANDB_API_KEY secret. Either way the files must match the sha256 that the deploy validated.

Both the deploy and a fresh host download only what is served — `model_card.json` and the weights
file — each after its size in the artifact's manifest passed a bound (`download_served`): an
extra multi-GB file in a promoted version is never fetched, and oversized weights are refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wb_common.card import CARD_FILE, MAX_CARD_BYTES

from viewer import deployment as dp
from viewer import registry_version
from viewer.models import ServedModel, load_model

# The largest weights a task here writes are r3d_18's ~130 MB; 1 GiB leaves room for bigger
# own models and still keeps a runner's or a small host's disk safe on every cold start.
MAX_WEIGHTS_BYTES = 1 << 30


class DownloadRefused(RuntimeError):
    """A served file the artifact's manifest does not offer within bounds; one sentence."""


def _fetch_entry(artifact: Any, name: str, bound: int, dest: Path) -> None:
    """Download the single entry `name` of `artifact` into `dest`, after checking its size.

    wandb 0.31: `Artifact.manifest.entries[name]` (an ArtifactManifestEntry with `.size` and
    `.ref`), `Artifact.get_entry(name).download(root=...)`.
    """
    entry = artifact.manifest.entries.get(name)
    if entry is None:
        raise DownloadRefused(
            f"아티팩트에 {name} 파일이 없습니다 — the artifact has no file {name}."
        )
    if getattr(entry, "ref", None) is not None:  # a reference: the bytes live elsewhere
        raise DownloadRefused(
            f"파일 {name}이(가) 외부 참조(reference)라서 받지 않습니다 — {name} is a reference to "
            "files outside the artifact; refused."
        )
    size = entry.size
    if not isinstance(size, int) or size < 0 or size > bound:
        raise DownloadRefused(
            f"파일 {name}의 크기({size} bytes)가 한도 {bound} bytes를 넘어 받지 않습니다 — "
            f"{name} is {size} bytes in the artifact's manifest, over the bound of {bound}; "
            "refused."
        )
    artifact.get_entry(name).download(root=str(dest))
    got = dest / name
    if not got.is_file() or got.stat().st_size != size:
        raise DownloadRefused(
            f"내려받은 {name}이(가) 매니페스트와 다릅니다 — the downloaded {name} does not "
            f"match its manifest size ({size} bytes)."
        )


def download_served(
    artifact: Any, dest: Path, weights_file: Callable[[Path], str] | str
) -> list[str]:
    """Download `model_card.json` and the weights file of `artifact` into `dest`, nothing else.

    `weights_file` is the file name, or a function that reads it from the downloaded card (the
    deploy learns it from the card). Returns the names downloaded; raises DownloadRefused.
    """
    dest.mkdir(parents=True, exist_ok=True)
    _fetch_entry(artifact, CARD_FILE, MAX_CARD_BYTES, dest)
    name = weights_file if isinstance(weights_file, str) else weights_file(dest)
    if Path(name).name != name or name in ("", ".", "..", CARD_FILE):
        raise DownloadRefused(
            f"모델 카드의 weights_file {name!r}은(는) 파일 이름이 아닙니다 — the card's "
            f"weights_file {name!r} is not a file name."
        )
    _fetch_entry(artifact, name, MAX_WEIGHTS_BYTES, dest)
    return [name, CARD_FILE]


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
        artifact = api.artifact(deployment.artifact_path, type="model")  # type: ignore[attr-defined]
        weights = deployment.model_card.weights_file
        if sorted(deployment.files) != sorted([weights, CARD_FILE]):
            raise dp.DeploymentError(
                f"배포 기록({deployment.artifact_path})이 모델 카드와 가중치 말고 다른 파일을 "
                f"가리킵니다 — {deployment.artifact_path}: the deployment names files other than "
                "the card and its weights."
            )
        try:
            download_served(artifact, download, weights)
        except DownloadRefused as err:
            raise dp.DeploymentError(str(err)) from None
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
    api = registry_version.connect() if not dp.model_folder(home, deployment).is_dir() else None
    folder = ensure_files(home, deployment, api)
    return load_model(folder, deployment.model_card)
