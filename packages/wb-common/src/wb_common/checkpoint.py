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
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wb_common.resume import History, scalars

CHECKPOINT_FILE = "checkpoint.pt"
RUN_STATE_FILE = "wandb_run.json"


class ResumeError(RuntimeError):
    """`--resume` was asked for but there is nothing to resume."""


class OutputDirError(RuntimeError):
    """The output folder cannot take this run: unwritable, or another run's checkpoint is there."""


def find_checkpoints(output_dir: Path, patterns: Sequence[str]) -> list[Path]:
    """What in `output_dir` matches `patterns` (globs, e.g. `checkpoint.pt`): a run's checkpoint."""
    if not Path(output_dir).is_dir():
        return []
    return sorted(p for pattern in patterns for p in Path(output_dir).glob(pattern))


def prepare_output_dir(
    output_dir: Path, patterns: Sequence[str], *, resume: bool, overwrite: bool
) -> None:
    """Before any work: refuse a folder that holds another run's checkpoint (unless `resume`,
    which continues it, or `overwrite`, which deletes it), then prove the folder writable.

    OutputDirError in one sentence otherwise. `overwrite` deletes each checkpoint's top entry in
    the folder (`checkpoint.pt`, Ultralytics' `train/`, the Trainer's `checkpoints/`) and the run
    note, so a later `--resume` can never continue the old run's state into the new run.
    """
    output_dir = Path(output_dir)
    found = [] if resume else find_checkpoints(output_dir, patterns)
    if found and not overwrite:
        shown = found[-1].relative_to(output_dir).as_posix()
        raise OutputDirError(
            f"{output_dir}에 이전 학습의 체크포인트({shown})가 있습니다. 이어서 하려면 --resume, "
            f"새로 시작하려면 --overwrite 또는 다른 --output-dir를 쓰세요 — {output_dir} holds "
            f"another run's checkpoint ({shown}): continue it with --resume, or start afresh "
            "with --overwrite (deletes it) or a new --output-dir."
        )
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=output_dir, prefix=".write-check-"):
            pass
    except OSError as err:
        raise OutputDirError(
            f"출력 폴더에 쓸 수 없습니다 — cannot write to the output folder {output_dir} "
            f"({err.strerror or type(err).__name__}); choose another --output-dir."
        ) from None
    for top in {output_dir / p.relative_to(output_dir).parts[0] for p in found}:
        shutil.rmtree(top) if top.is_dir() else top.unlink(missing_ok=True)
    if found:
        (output_dir / RUN_STATE_FILE).unlink(missing_ok=True)


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
    (model, optimizer, scheduler), the W&B run id and the numbers every epoch logged (`scalars`
    of each row of `history`: media left out, loadable with `weights_only=True`)."""
    state = {name: part.state_dict() for name, part in parts.items()}
    kept = {step: scalars(row) for step, row in history.items()}
    return {**state, "epoch": epoch, "run_id": run_id, "history": kept}


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
