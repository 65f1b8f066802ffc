"""Dataset and model artifacts, and the link of a model version into the W&B Registry.

Names follow DESIGN.md: dataset `<dataset>` (type dataset), model `<model>-<dataset>` (type model)
with the model card inside and as metadata, linked to `wandb-registry-model/<collection>` with the
alias `staging`. Only a person gives `production` (notebook 07 or `wb-demo promote`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import wandb

from wb_common.card import CARD_FILE, ModelCard
from wb_common.pending import queue_action

REGISTRY = "model"  # the new W&B Registry's model registry: `wandb-registry-model/...`


def registry_path(collection: str, registry: str = REGISTRY) -> str:
    """`wandb-registry-<registry>/<collection>`, the target of `run.link_artifact`."""
    return f"wandb-registry-{registry}/{collection}"


def log_dataset_artifact(
    run: wandb.Run,
    name: str,
    *,
    path: str | Path | None = None,
    metadata: dict[str, Any] | None = None,
    description: str = "",
) -> wandb.Artifact:
    """Version a dataset: the folder or file at `path` (if any) plus `metadata`.

    Without `path` (a dataset that downloads from a public source) the artifact records where it
    comes from and its size in metadata; the run's lineage still shows which data trained it.
    """
    artifact = wandb.Artifact(name, type="dataset", description=description, metadata=metadata)
    if path is not None:
        path = Path(path)
        if path.is_dir():
            artifact.add_dir(str(path))
        else:
            artifact.add_file(str(path))
    run.log_artifact(artifact)
    return artifact


def log_model_artifact(
    run: wandb.Run,
    name: str,
    weights: str | Path,
    card: ModelCard,
    *,
    extra_files: Iterable[str | Path] = (),
    aliases: Iterable[str] = ("latest",),
    description: str = "",
) -> wandb.Artifact:
    """Version a trained model: its weights, `model_card.json`, and the card as metadata."""
    artifact = wandb.Artifact(name, type="model", description=description, metadata=card.to_dict())
    artifact.add_file(str(weights), name=card.weights_file)
    for extra in extra_files:
        artifact.add_file(str(extra))
    with tempfile.TemporaryDirectory() as tmp:  # add_file copies into W&B's staging area
        artifact.add_file(str(card.write(tmp)), name=CARD_FILE)
    run.log_artifact(artifact, aliases=list(aliases))
    return artifact


def link_to_registry(
    run: wandb.Run,
    artifact: wandb.Artifact,
    collection: str,
    aliases: Iterable[str] = ("staging",),
) -> str:
    """Link a logged model artifact into the Registry; offline, queue the link for `wb-demo sync`.

    Returns "linked", "queued" or "skipped" (W&B disabled).
    """
    target = registry_path(collection)
    aliases = list(aliases)
    if run.disabled:
        return "skipped"
    if not run.offline:
        run.link_artifact(artifact, target, aliases=aliases)
        return "linked"
    queue_action(
        run.sync_dir,
        {
            "action": "link",
            "run_path": f"{run.entity or ''}/{run.project}/{run.id}",
            "artifact": artifact.name.split(":")[0],
            "digest": artifact.digest,
            "target": target,
            "aliases": aliases,
        },
    )
    print(
        f"[wb-demo] Registry link to {target} {aliases} queued (offline); "
        "`wb-demo sync` makes it after the upload."
    )
    return "queued"
