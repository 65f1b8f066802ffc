"""A Registry version, as the viewer asks the W&B server for it (wandb 0.31's `wandb.Api`):
which version an alias points at and its checks (the deploy then fetches only the files it
serves), the run that made it and that run's metrics, config, datasets and logged images.

Each function takes the `Api` object, so tests pass a small double with the same methods and
nothing here needs a network to be exercised. The viewer calls these only when an API key exists
and shows the model card's own data when they fail: a demo must not depend on the venue's Wi-Fi.
The versions of a collection come from `wb_common.registry.list_versions`, which `wb-demo
registry list` and notebook 07 read as well.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path, PurePosixPath
from typing import Any

from wb_common.run import find_api_key

TIMEOUT_S = 15  # per HTTP request: long enough for a slow venue network, short enough on stage
# W&B's version names: v0, v1, ... in ASCII digits only. `\d` would take `v٢` and `v２`, and
# `v0002` would pass as a version different from `v2`.
VERSION = re.compile(r"v(0|[1-9][0-9]{0,5})", re.ASCII)


class ServerError(RuntimeError):
    """The W&B server did not give what was asked; one sentence, Korean first."""


def connect(timeout: int = TIMEOUT_S) -> Any | None:
    """`wandb.Api` with the key from the environment, ~/.netrc or Colab; None without a key.

    Passing the key explicitly means `wandb.Api` never prompts for a login (it would hang a
    headless deploy or a Streamlit session).
    """
    key = find_api_key()
    if key is None:
        return None
    import wandb

    return wandb.Api(api_key=key, timeout=timeout)


def resolve_version(api: Any, artifact_path: str) -> str:
    """The concrete version (`v3`) behind `entity/wandb-registry-model/collection:<alias>`."""
    artifact = api.artifact(artifact_path, type="model")
    version = str(artifact.version)
    if not VERSION.fullmatch(version):
        raise ServerError(
            f"{artifact_path}의 버전 이름이 올바르지 않습니다 — {artifact_path} resolved to "
            f"{version!r}, which is not a version name."
        )
    return version


def checked_artifact(api: Any, artifact_path: str, alias: str) -> Any:
    """The registry version `artifact_path` names, after checking it is the one asked for.

    `artifact_path` ends in `:vN`; the server must answer with that version of that registry
    collection (a manual deploy or rollback is validated this way: it exists in the allow-listed
    collection). For a promotion, `alias` is `production` and the version must still carry it:
    if someone moved `production` on while the workflow was queued, the newer event deploys the
    newer version and this one must not overwrite it. A manual deploy passes `alias=""`.
    Nothing is downloaded: the caller fetches only the files it serves.
    """
    artifact = api.artifact(artifact_path, type="model")
    asked = artifact_path.rsplit(":", 1)[1]
    collection = artifact_path.rsplit(":", 1)[0].split("/")[-1]
    name = str(getattr(artifact, "qualified_name", artifact_path)).rsplit(":", 1)[0]
    if artifact.version != asked or name.split("/")[-1] != collection:
        raise ServerError(
            f"서버가 다른 버전을 돌려주어 받지 않습니다 — {artifact_path} answered as "
            f"{name}:{artifact.version}; refusing a different version."
        )
    if alias and alias not in artifact.aliases:
        raise ServerError(
            f"별칭이 옮겨져 더 새 승격이 배포됩니다 — {artifact_path} no longer has the alias "
            f"{alias!r} (it has "
            f"{', '.join(artifact.aliases) or 'none'}); the newer promotion deploys instead."
        )
    return artifact


def _numbers(mapping: Any) -> dict[str, float]:
    return {
        str(k): float(v)
        for k, v in dict(mapping).items()
        if not str(k).startswith("_") and isinstance(v, numbers.Real) and not isinstance(v, bool)
    }


def model_info(api: Any, artifact_path: str) -> dict[str, Any]:
    """Metrics and config of the producing run, and the lineage: data -> run -> model."""
    artifact = api.artifact(artifact_path, type="model")
    run = artifact.logged_by()
    info: dict[str, Any] = {
        "artifact": artifact.qualified_name,
        "source_artifact": artifact.source_qualified_name,
        "created_at": str(artifact.created_at),
        "aliases": list(artifact.aliases),
        "metrics": {},
        "config": {},
        "run": None,
        "datasets": [],
    }
    if run is not None:
        info["metrics"] = _numbers(run.summary_metrics)
        info["config"] = {k: v for k, v in run.config.items() if not str(k).startswith("_")}
        info["run"] = {"path": "/".join(run.path), "name": run.name, "url": run.url}
        info["datasets"] = [
            a.qualified_name for a in run.used_artifacts() if getattr(a, "type", "") == "dataset"
        ]
    return info


def _sample_image(name: str, types: list[str]) -> bool:
    """A logged image's file name, as the server lists it: under media/images/, no way out."""
    path = PurePosixPath(name)
    return (
        path.parts[:2] == ("media", "images")
        and ".." not in path.parts
        and path.suffix.lower().lstrip(".") in types
    )


def sample_generations(api: Any, artifact_path: str, dest: Path, limit: int = 6) -> list[Any]:
    """The last images the producing run logged (LoRA models show these instead of serving).

    As untrusted as an upload: only image files under media/images/, each fetched only when the
    server lists it within MAX_IMAGE_BYTES, and decoded by the uploads' bounded `read_image`
    (a file that is not a servable image is left out). Returns the decoded images.
    """
    from viewer.uploads import IMAGE_TYPES, MAX_IMAGE_BYTES, UploadError, read_image

    run = api.artifact(artifact_path, type="model").logged_by()
    if run is None:
        return []
    files = [f for f in run.files() if _sample_image(f.name, IMAGE_TYPES)][-limit:]
    images = []
    for file in files:
        if not 0 < file.size <= MAX_IMAGE_BYTES:
            continue
        file.download(root=str(dest), replace=True, exist_ok=True)
        path = dest / file.name
        if not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
            continue  # the server sent more than it listed
        try:
            images.append(read_image(path.read_bytes()))
        except UploadError:
            continue
    return images
