"""`--resume`: the training state a task saves, and the W&B run it belongs to.

Two shapes, one per kind of trainer:
- A plain PyTorch loop (cls, seg, video, gen) keeps everything in one `checkpoint.pt` — weights,
  optimizer, step, the W&B run id and the logged history — rewritten atomically each epoch (or
  every `checkpoint_every` steps), so a Colab disconnect mid-write never destroys the last one.
- A library trainer that checkpoints itself (det: Ultralytics' `last.pt`, llm: the Trainer's
  `checkpoint-<step>/`) gets only the run id beside its own files: `wandb_run.json`.

Torch is imported where it is used, so importing wb_common stays light.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from wb_common.resume import History

CHECKPOINT_FILE = "checkpoint.pt"
RUN_STATE_FILE = "wandb_run.json"


class ResumeError(RuntimeError):
    """`--resume` was asked for but there is nothing to resume."""


def save_checkpoint(output_dir: Path, state: dict[str, Any]) -> Path:
    """Write atomically: a disconnect mid-write must not destroy the previous checkpoint."""
    import torch

    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / CHECKPOINT_FILE
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(output_dir: Path) -> dict[str, Any]:
    """The last checkpoint (tensors only: `weights_only=True`), or ResumeError in one sentence."""
    import torch

    path = output_dir / CHECKPOINT_FILE
    if not path.is_file():
        raise ResumeError(
            f"이어서 학습할 체크포인트가 없습니다 — nothing to resume: no {CHECKPOINT_FILE} in "
            f"{output_dir}; start without --resume."
        )
    return torch.load(path, map_location="cpu", weights_only=True)


def epoch_state(*, epoch: int, run_id: str, history: History, **parts: Any) -> dict[str, Any]:
    """What `checkpoint.pt` holds after `epoch`: each part's `state_dict()` under its name
    (model, optimizer, scheduler), the W&B run id and what every epoch logged."""
    state = {name: part.state_dict() for name, part in parts.items()}
    return {**state, "epoch": epoch, "run_id": run_id, "history": history}


def restore(checkpoint: dict[str, Any] | None, **parts: Any) -> tuple[int, History]:
    """Load each part from an `epoch_state` checkpoint (None: a fresh start); the epoch to start
    at, and the history --resume logs again where the run file lost it."""
    if checkpoint is None:
        return 1, {}
    for name, part in parts.items():
        part.load_state_dict(checkpoint[name])
    return checkpoint["epoch"] + 1, checkpoint.get("history", {})


def save_run_id(output_dir: Path, run_id: str) -> Path:
    """Note the W&B run beside a library's own checkpoints, so --resume continues that run."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / RUN_STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_run_id(output_dir: Path) -> str | None:
    """The W&B run id noted by `save_run_id`, or None (a fresh start, or an unreadable note)."""
    path = output_dir / RUN_STATE_FILE
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
