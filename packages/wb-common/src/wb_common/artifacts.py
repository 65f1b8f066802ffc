"""Dataset and model artifacts, and the link of a model version into the W&B Registry.

Names: dataset `<dataset>` (type dataset), model `<model>-<dataset>` (type model)
with the model card inside and as metadata, linked to `wandb-registry-model/<collection>` with the
alias `staging`. Only a person gives `production` (notebook 07 or `wb-demo promote`).

Registry hygiene (docs/architecture.md): smoke models link into `<collection>-smoke`, never into
the real collection (`wb_common.tasks.collection_for`); a sweep trial does not link its model at
all — it leaves a note in its run folder (`MODEL_NOTE`), and after the sweep only the best
trial's model is linked, once (`link_noted_model`, called by `wb_common.sweep`).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wb_common.card import CARD_FILE, ModelCard
from wb_common.commands import sync_command
from wb_common.pending import pending_actions, queue_action, replay
from wb_common.tasks import registry_path

if TYPE_CHECKING:  # wandb loads when an artifact is logged, not when a config is parsed
    import wandb

MODEL_NOTE = "wb_demo_model.json"  # a sweep trial's unlinked model: linked later if it wins


def folder_slug(folder: str | Path) -> str:
    """A folder's name as W&B allows it in artifact and collection names: `My Pets` -> `my-pets`.

    W&B names allow letters, digits, `-`, `_` and `.`; anything else becomes `-`.
    """
    slug = re.sub(r"[^a-z0-9_.]+", "-", Path(folder).resolve().name.lower()).strip("-.")
    return slug or "data"


def data_collection(data_dir: str | Path, kind: str) -> str:
    """A collection named after the user's data folder: `flowers/` -> `flowers-classifier`.

    A model trained on someone's own images must not land in `cifar10-classifier`.
    """
    return f"{folder_slug(data_dir)}-{kind}"


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
    import wandb

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
    import wandb

    artifact = wandb.Artifact(name, type="model", description=description, metadata=card.to_dict())
    artifact.add_file(str(weights), name=card.weights_file)
    for extra in extra_files:
        artifact.add_file(str(extra))
    with tempfile.TemporaryDirectory() as tmp:  # add_file copies into W&B's staging area
        artifact.add_file(str(card.write(tmp)), name=CARD_FILE)
    run.log_artifact(artifact, aliases=list(aliases))
    return artifact


def _run_path(run: wandb.Run) -> str:
    return f"{run.entity or ''}/{run.project}/{run.id}"


def link_to_registry(
    run: wandb.Run,
    artifact: wandb.Artifact,
    collection: str,
    aliases: Iterable[str] = ("staging",),
    *,
    defer: bool = False,
) -> str:
    """Link a logged model artifact into the Registry; offline, queue the link for `wb-demo sync`.

    `defer=True` (a sweep trial) links nothing: it notes the model in the run folder and in the
    run's config (`registry_target`), and the sweep links only its best trial afterwards.
    Returns "linked", "queued", "deferred" or "skipped" (W&B disabled); prints where it went.
    """
    target = registry_path(collection)
    aliases = list(aliases)
    if run.disabled:
        return "skipped"
    link = {
        "action": "link",
        "run_path": _run_path(run),
        "artifact": artifact.name.split(":")[0],
        "digest": artifact.digest,
        "target": target,
        "aliases": aliases,
    }
    if defer:
        note = {**link, "offline": bool(run.offline)}
        (Path(run.sync_dir) / MODEL_NOTE).write_text(json.dumps(note, indent=1), encoding="utf-8")
        # Recorded on the run too, so `wb-demo report --sweep` finds the target on any machine.
        run.config.update({"registry_target": target}, allow_val_change=True)
        print(
            f"[wb-demo] 스윕 시도: 모델은 스윕이 끝나면 최고 시도만 연결됩니다 — sweep trial: "
            f"{link['artifact']} is not linked; after the sweep only the best trial's model is "
            f"linked to {target} {aliases}."
        )
        return "deferred"
    if not run.offline:
        run.link_artifact(artifact, target, aliases=aliases)
        print(
            f"[wb-demo] Registry에 연결됨 — Registry: {link['artifact']} linked to {target} "
            f"{aliases}."
        )
        return "linked"
    queue_action(run.sync_dir, link)
    print(
        f"[wb-demo] Registry 연결은 업로드 때 `{sync_command()}`가 합니다 — "
        f"Registry link to {target} {aliases} queued (offline); `{sync_command()}` makes it "
        "after the upload."
    )
    return "queued"


def noted_model(run_dir: str | Path) -> dict[str, Any] | None:
    """The model a sweep trial noted in its run folder (see `link_to_registry(defer=True)`)."""
    path = Path(run_dir) / MODEL_NOTE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def link_noted_model(
    run_dir: str | Path, *, api: Any = None, aliases: Iterable[str] | None = None
) -> str:
    """Link the model a sweep trial noted: online now (through `api`), offline into the queue.

    `aliases` replaces the noted ones (the sweep decides whether `staging` moves).
    Returns "linked", "queued", "already linked", "refused" (the folder's queue may not name it:
    pending) or "no model", and prints where it went.
    """
    note = noted_model(run_dir)
    if note is None:
        print(f"[wb-demo] 연결할 모델이 없습니다 — {run_dir} noted no model; nothing to link.")
        return "no model"
    link = {k: v for k, v in note.items() if k != "offline"}
    if aliases is not None:
        link["aliases"] = list(aliases)
    if link not in pending_actions(run_dir):  # a second call queues nothing twice
        queue_action(run_dir, link)  # offline: `wb-demo sync` links it; online: replayed below
    if note["offline"]:
        print(
            f"[wb-demo] 최고 시도의 Registry 연결은 업로드 때 `{sync_command()}`가 합니다 — "
            f"Registry link of the best trial ({link['artifact']}) to {link['target']} "
            f"{link['aliases']} queued (offline); `{sync_command()}` makes it after the upload."
        )
        return "queued"
    if api is None:
        import wandb

        api = wandb.Api()
    try:
        lines = replay(run_dir, api, {"link": replay_link})
    except Exception as err:  # the sweep itself is done: report the link, do not lose the sweep
        print(
            f"[wb-demo] 최고 시도의 모델을 {link['target']}에 연결하지 못했습니다 "
            f"({type(err).__name__}: {str(err)[:200]}). Could not link the best trial's model; "
            f"link {link['artifact']} from run {link['run_path']} in the W&B UI."
        )
        return "failed"
    if not lines:  # replayed before: the queue marks what it did, so nothing links twice
        return "already linked"
    if not any(line.startswith("done: ") for line in lines):  # the folder's own run check said no
        print(f"[wb-demo] 최고 시도의 모델을 연결하지 않았습니다 — not linked: {lines[0]}")
        return "refused"
    print(
        f"[wb-demo] 최고 시도의 모델을 Registry에 연결함 — Registry: the best trial's "
        f"{link['artifact']} linked to {link['target']} {link['aliases']}."
    )
    return "linked"


def replay_link(action: dict[str, Any], api: Any) -> None:
    """The queued `run.link_artifact`, made after `wandb sync` uploaded the run."""
    run_path = action["run_path"]
    if run_path.startswith("/"):  # the offline run had no entity: use the logged-in one
        run_path = f"{api.default_entity}{run_path}"
    run = api.run(run_path)
    for artifact in run.logged_artifacts():
        if (
            artifact.name.split(":")[0] == action["artifact"]
            and artifact.digest == action["digest"]
        ):
            artifact.link(action["target"], aliases=action["aliases"])
            return
    raise LookupError(
        f"run {run_path} has no artifact {action['artifact']!r} with digest "
        f"{action['digest'][:12]}; was the run synced with `wandb sync` first?"
    )
