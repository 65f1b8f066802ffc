"""`--resume`: the Trainer's own checkpoints, plus the W&B run id they belong to.

SFTTrainer writes `checkpoints/checkpoint-<step>/` (adapter, optimizer, scheduler, RNG state) every
`save_steps`; resuming from the last one continues the same step count. The W&B run id is kept
beside them, so a Colab disconnect resumes the same run instead of starting a new one.
"""

from __future__ import annotations

from pathlib import Path

from transformers.trainer_utils import get_last_checkpoint

CHECKPOINT_DIR = "checkpoints"
RUN_ID_FILE = "wandb_run_id.txt"


class ResumeError(RuntimeError):
    """`--resume` was asked for but there is nothing to resume."""


def checkpoint_dir(output_dir: Path) -> Path:
    return output_dir / CHECKPOINT_DIR


def last_checkpoint(output_dir: Path) -> tuple[str, str | None]:
    """(the newest checkpoint folder, the W&B run id that wrote it) or ResumeError."""
    folder = checkpoint_dir(output_dir)
    last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    if last is None:
        raise ResumeError(
            f"nothing to resume: no checkpoint-<step> folder in {folder}; start without --resume."
        )
    run_id_file = output_dir / RUN_ID_FILE
    return last, run_id_file.read_text().strip() if run_id_file.is_file() else None


def save_run_id(output_dir: Path, run_id: str) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / RUN_ID_FILE).write_text(run_id + "\n")
