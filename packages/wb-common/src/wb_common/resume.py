"""Resume that loses nothing: one step axis across restarts, and what a killed run lost, back.

Why (docs/facts.md): wandb 0.31 writes the run file `run-<id>.wandb` in 32 KiB blocks, so a
`kill -9` (or a lost Colab VM) loses whatever sat in the unfilled block, often every row of a
short run; and a resumed run's implicit `_step` starts again at 0 offline, so `wandb sync` puts
the resumed rows on steps the first file already used. The remedy, used by every task package:

1. Every `run.log(row, step=...)` carries a step taken from the training state (the epoch, or
   the global optimizer step), so a resumed run continues the same axis, online or offline.
   (wandb ignores a row whose step is below the run's current step: online, the server's
   `starting_step` keeps rows it already has from being logged twice.)
2. The checkpoint carries `history`: the numbers of every row logged so far, by step.
3. On `--resume`, `with log_again_what_was_lost(run, history) as previous:` reads the earlier
   files of the same run back (`previous_record`); inside the block a task logs again its dataset
   artifact and step-0 tables where `previous.missing...` says so, and leaving the block logs
   again, at their own steps, the checkpoint's rows none of the files holds (`recover_history`).

On Colab the checkpoint itself must outlive the VM: `colab_output_dir` puts `output_dir` on
Google Drive.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from wb_common.readback import find_run_dirs, read_run

# A checkpoint's `history`: step -> {metric key: number}, as logged at that step.
History = dict[int, dict[str, float]]

DRIVE_MOUNT = "/content/drive"
DRIVE_ROOT = "MyDrive/wandb-e2e-demo"  # one folder on the user's Drive for every demo


def scalars(row: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of a logged row (what a checkpoint keeps); media, tables and text are left out.

    Plain int/float only, so a checkpoint stays loadable with `torch.load(weights_only=True)`.
    """
    return {
        key: int(value) if isinstance(value, int) else float(value)
        for key, value in row.items()
        if isinstance(value, Real) and not isinstance(value, bool) and not key.startswith("_")
    }


@dataclass
class PreviousRecord:
    """What the earlier files of a run hold (all of them, oldest first), read back from disk."""

    files: list[Path] = field(default_factory=list)
    steps: set[int] = field(default_factory=set)  # `_step` of every history row they hold
    keys: set[str] = field(default_factory=set)  # every history key (metrics, media, tables)
    artifacts: set[str] = field(default_factory=set)  # names of the artifacts they logged
    starting_step: int = 0  # online resume: the server's next step; rows below it are there

    def missing(self, key: str, step: int = 0) -> bool:
        """Whether a row key logged at `step` (e.g. "dataset/samples" at 0) must be logged again."""
        return key not in self.keys and step >= self.starting_step

    def missing_artifact(self, name: str) -> bool:
        """Whether no earlier file logged an artifact called `name` (logging it again online is a
        no-op: W&B keeps the version whose content is the same)."""
        return name not in self.artifacts


def previous_record(run: Any) -> PreviousRecord:
    """Read back every earlier file of `run` (same id, same wandb folder), not its own.

    A fresh run has none: everything is missing, and the caller logs its data as usual. A file
    the reader cannot decode counts as holding nothing (`wandb sync` could not upload it either).
    """
    record = PreviousRecord(starting_step=int(getattr(run, "starting_step", 0) or 0))
    if getattr(run, "disabled", False) or not getattr(run, "sync_dir", None):
        return record
    own = Path(run.sync_dir).resolve()
    for run_dir in find_run_dirs(own.parent, run.id):
        if run_dir.resolve() == own:
            continue
        try:
            recorded = read_run(run_dir)
        except (RuntimeError, OSError, FileNotFoundError):
            continue
        record.files.append(run_dir)
        for row in recorded.history:
            if "_step" in row:
                record.steps.add(int(row["_step"]))
            record.keys.update(k.split(".", 1)[0] if "." in k else k for k in row)
            record.keys.update(row)
        record.artifacts.update(a.name for a in recorded.artifacts)
    return record


def recover_history(
    run: Any, history: Mapping[int, Mapping[str, float]], previous: PreviousRecord
) -> int:
    """Log again, at their own steps, the checkpoint's rows that no earlier file holds.

    Call it right after the run starts (and after anything logged at step 0), before training
    logs a new step: wandb drops rows whose step is below the current one. Returns how many
    rows were logged again, and says so in one line when any were.
    """
    if getattr(run, "disabled", False):
        return 0
    lost = sorted(
        step
        for step in history
        if int(step) not in previous.steps and int(step) >= previous.starting_step
    )
    for step in lost:
        run.log(dict(history[step]), step=int(step))
    if lost:
        print(
            f"[wb-demo] 이전 run 파일에 없던 {len(lost)}개 단계를 다시 기록했습니다 — resume: "
            f"{len(lost)} of {len(history)} logged steps were not in the earlier run file and "
            f"were logged again (steps {lost[0]}..{lost[-1]})."
        )
    return len(lost)


@contextmanager
def log_again_what_was_lost(
    run: Any, history: Mapping[int, Mapping[str, float]]
) -> Iterator[PreviousRecord]:
    """What a killed run's earlier files lack, logged again: in the block, what the task logs at
    step 0 (guarded by the `PreviousRecord` it yields); on leaving it, the checkpoint's `history`
    rows at their own steps. That order is the rule of `recover_history`: wandb drops a row whose
    step is below the run's current step. A fresh run (no earlier file) misses everything.
    """
    previous = previous_record(run)
    yield previous
    recover_history(run, history, previous)


def _in_smoke_mode(smoke: bool | None) -> bool:
    if smoke is not None:
        return smoke
    return os.environ.get("WB_DEMO_SMOKE", "") not in ("", "0", "false", "False")


def colab_output_dir(
    default: str | os.PathLike[str], *, smoke: bool | None = None, mount_point: str = DRIVE_MOUNT
) -> Path:
    """`output_dir` on Google Drive on Colab (mounting Drive first), else `default` unchanged.

    A lost Colab VM takes its disk with it, `checkpoint.pt` included; on Drive the checkpoint
    outlives the VM and `--resume` in a new runtime finds it. Off in smoke mode (`smoke=True` or
    `WB_DEMO_SMOKE=1`) and outside Colab: tests and CI never mount anything.
    """
    default = Path(default)
    if _in_smoke_mode(smoke) or "google.colab" not in sys.modules:
        return default
    from google.colab import drive  # type: ignore[import-not-found]

    drive.mount(mount_point)  # asks the user once per runtime; a no-op when already mounted
    path = Path(mount_point) / DRIVE_ROOT / default.name
    path.mkdir(parents=True, exist_ok=True)
    return path
