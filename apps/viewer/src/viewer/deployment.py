"""`deployment.json` (what is served now) and `deployments.jsonl` (every deployment, in order).

Only `viewer-deploy` writes them, and only after the model has loaded and answered one sample.
The write is atomic (a temporary file in the same folder, then `os.replace`), so a reader — the
running app, a `git commit` in the workflow — sees the old file or the new one, never half of one.

One entry per model type: promoting the segmenter does not take the classifier off the air.

    {"schema": 1, "models": {"classification": {"model_name": "cifar10-classifier",
      "version": "v3", "artifact_path": "team/wandb-registry-model/cifar10-classifier:v3", ...}}}
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wb_common import ModelCard, ModelCardError

SCHEMA = 1
DEPLOYMENT_FILE = "deployment.json"
HISTORY_FILE = "deployments.jsonl"
MODELS_DIR = "models"  # validated artifact files, one folder per deployed version (git-ignored)
HOME_ENV = "VIEWER_HOME"  # tests and air-gapped copies point the app and the command elsewhere


class DeploymentError(RuntimeError):
    """deployment.json or the deployed files are missing or damaged; one sentence says which."""


@dataclass(frozen=True)
class Deployment:
    model_type: str
    model_name: str  # the registry collection, e.g. "cifar10-classifier"
    version: str  # "v3"
    artifact_path: str  # "team/wandb-registry-model/cifar10-classifier:v3"
    deployed_at: str  # ISO 8601, UTC
    deployed_by: str  # who gave the alias (webhook event_author), or "local"
    source: str  # "wandb" (downloaded by the deploy) or "local" (--artifact-dir)
    files: dict[str, str]  # file name -> sha256 of what the deploy validated
    card: dict[str, Any]  # the model card, so the app can describe the model without W&B
    smoke_test: dict[str, Any] = field(default_factory=dict)  # the sample and its prediction

    @property
    def model_card(self) -> ModelCard:
        return ModelCard.from_dict(self.card)

    @property
    def folder_name(self) -> str:
        return f"{self.model_name}-{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


INSTALLED_HOME = "wb-demo-viewer"  # under the current folder, for a pip-installed viewer


def default_home(package_file: str | Path = __file__) -> Path:
    """Where deployment.json lives: $VIEWER_HOME, else apps/viewer in a checkout of the repo.

    A checkout (the workflow's `uv sync`, an editable install, Streamlit Cloud's source path)
    keeps the package in `apps/viewer/src/viewer/`, beside the committed deployment.json. A
    pip-installed wheel sits in site-packages, where nothing may be written and no manifest
    ships: there it is `./wb-demo-viewer` under the current folder (notebook 07 and
    `viewer-rehearse` pass their own folder anyway).
    """
    if home := os.environ.get(HOME_ENV):
        return Path(home)
    package = Path(package_file).resolve().parent
    project = package.parents[1]
    if package.parent.name == "src" and (project / "pyproject.toml").is_file():
        return project
    return Path.cwd() / INSTALLED_HOME


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: sha256_file(folder / name) for name in names}


def _parse_entry(model_type: str, entry: Any) -> Deployment:
    if not isinstance(entry, dict):
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the entry for {model_type!r} is not an object.")
    try:
        deployment = Deployment(**entry)
    except TypeError as err:
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} entry: {err}.") from None
    if deployment.model_type != model_type:
        raise DeploymentError(
            f"{DEPLOYMENT_FILE}: the {model_type!r} entry says {deployment.model_type!r}."
        )
    files = deployment.files
    if not isinstance(files, dict) or not all(
        isinstance(n, str) and Path(n).name == n and n not in ("", ".", "..") for n in files
    ):
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} files must be plain names.")
    try:
        card = deployment.model_card
    except ModelCardError as err:
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} card: {err}.") from None
    if card.model_type != model_type:
        raise DeploymentError(
            f"{DEPLOYMENT_FILE}: the {model_type!r} card describes a {card.model_type} model."
        )
    return deployment


def read_deployments(home: Path) -> dict[str, Deployment]:
    """model_type -> what is deployed; {} when nothing has been deployed yet."""
    path = home / DEPLOYMENT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DeploymentError(f"{path} is not readable JSON ({err}).") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise DeploymentError(f"{path} is not a schema-{SCHEMA} deployment manifest.")
    models = data.get("models")
    if not isinstance(models, dict):
        raise DeploymentError(f"{path} has no 'models' object.")
    return {model_type: _parse_entry(model_type, entry) for model_type, entry in models.items()}


def manifest_bytes(deployments: dict[str, Deployment]) -> bytes:
    models = {t: deployments[t].to_dict() for t in sorted(deployments)}
    text = json.dumps({"schema": SCHEMA, "models": models}, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old bytes or the new ones."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_history(home: Path, deployment: Deployment) -> None:
    line = json.dumps(deployment.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"
    with open(home / HISTORY_FILE, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_history(home: Path) -> list[dict[str, Any]]:
    """Every recorded deployment, oldest first; unreadable lines are skipped, not fatal."""
    try:
        lines = (home / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def model_folder(home: Path, deployment: Deployment) -> Path:
    return home / MODELS_DIR / deployment.folder_name


def verify_files(folder: Path, deployment: Deployment) -> None:
    """The files in `folder` are exactly the ones the deploy validated (sha256)."""
    for name, expected in deployment.files.items():
        path = folder / name
        if not path.is_file():
            raise DeploymentError(f"{path} is missing.")
        if sha256_file(path) != expected:
            raise DeploymentError(f"{path} differs from the file that was validated at deploy.")
