"""One checkpoint a run, rewritten every `checkpoint_every` steps, so `--resume` survives a
Colab disconnect. Only the LoRA weights are in it (a few MB), not the 4 GB base model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_FILE = "checkpoint.pt"


class ResumeError(RuntimeError):
    """`--resume` was asked for but there is nothing to resume."""


def save_checkpoint(output_dir: Path, state: dict[str, Any]) -> Path:
    """Write atomically: a disconnect mid-write must not destroy the previous checkpoint."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / CHECKPOINT_FILE
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(output_dir: Path) -> dict[str, Any]:
    path = output_dir / CHECKPOINT_FILE
    if not path.is_file():
        raise ResumeError(
            f"nothing to resume: no {CHECKPOINT_FILE} in {output_dir}; start without --resume."
        )
    return torch.load(path, map_location="cpu", weights_only=True)
