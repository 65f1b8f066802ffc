"""Kill a training run with `kill -9` after its first checkpoint, resume it, read both files back.

Every task's `tests/test_resume.py` uses this, offline, with W&B isolated by
`wb_testing.fixtures.offline_wandb` (the subprocesses inherit that environment):

    run = kill_after_checkpoint_then_resume(
        [sys.executable, "-m", "cls_train.cli", "--smoke", "--output-dir", str(out)],
        checkpoint=out / "checkpoint.pt",
        resume=lambda: train(dataclasses.replace(cfg, resume=True)),
        runs_root=offline_wandb,
    )
    run.assert_nothing_lost(step_key="epoch", steps=[1, 2], dataset="synthetic-cifar10",
                            once=["dataset/samples"])
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wb_common.readback import RecordedRun, find_run_dirs, read_run


@dataclass
class KilledAndResumed:
    files: list[RecordedRun]  # the run's files, oldest first: the killed one, then the resumed
    killed_output: str  # what the killed process printed
    seconds: float  # wall time of the whole cycle

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every history row of every file, in the order `wandb sync` uploads them."""
        return [row for recorded in self.files for row in recorded.history]

    @property
    def steps(self) -> list[int]:
        return [row["_step"] for row in self.history]

    def metric(self, key: str) -> list[Any]:
        return [row[key] for row in self.history if key in row]

    @property
    def run_ids(self) -> set[str]:
        """The run ids of the files: in each folder's name and, where it survived, in its record
        (a file killed before its first 32 KiB block filled holds no run record at all)."""
        from_names = {recorded.path.name.rsplit("-", 1)[-1] for recorded in self.files}
        return from_names | {recorded.run_id for recorded in self.files if recorded.run_id}

    def assert_nothing_lost(
        self, *, step_key: str, steps: Sequence[Any], dataset: str, once: Sequence[str] = ()
    ) -> list[Any]:
        """What every task's resume test asserts; returns the `steps` the killed file lacked.

        One run continued in a second file; W&B steps strictly increasing across both files;
        every value of `step_key` (epoch, global step) logged exactly once, in order; the dataset
        artifact and each media key in `once` (e.g. "dataset/samples") logged exactly once: what
        the kill lost is logged again, and only that.
        """
        assert len(self.run_ids) == 1, self.run_ids
        assert len(self.files) == 2, [f.path.name for f in self.files]
        assert self.steps == sorted(set(self.steps)), self.steps
        assert self.metric(step_key) == list(steps), self.metric(step_key)
        artifacts = [a.name for f in self.files for a in f.artifacts]
        assert artifacts.count(dataset) == 1, artifacts
        for key in once:
            assert sum(f"{key}._type" in row for row in self.history) == 1, key
        return [s for s in steps if s not in self.files[0].metric(step_key)]


def _kill_group(proc: subprocess.Popen) -> None:
    # The training process first, as `kill -9 <pid>` does; then whatever it started (wandb's
    # service), as a lost VM does, so nothing is left running after the test.
    for kill in (lambda: os.kill(proc.pid, signal.SIGKILL), lambda: os.killpg(proc.pid, 9)):
        with contextlib.suppress(ProcessLookupError):
            kill()
        time.sleep(0.2)
    proc.wait(timeout=30)


def kill_after_checkpoint_then_resume(
    command: Sequence[str],
    *,
    checkpoint: Path | Callable[[], bool],
    resume: Callable[[], object],
    runs_root: Path,
    timeout: float = 300,
) -> KilledAndResumed:
    """Start `command`, `kill -9` it once `checkpoint` exists, then call `resume()`.

    `checkpoint` is the file to wait for, or a function that says when the first checkpoint is
    complete. `resume` continues the run (the task's `train(cfg)` with `resume=True`, in this
    process: one interpreter start less than a second subprocess). Raises AssertionError with
    the program's output when it ends before a checkpoint exists.
    """
    ready = checkpoint if callable(checkpoint) else checkpoint.is_file
    start = time.monotonic()
    log_path = Path(runs_root) / "killed-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            while not ready():
                if proc.poll() is not None or time.monotonic() - start > timeout:
                    break
                time.sleep(0.05)
        finally:
            finished_early = proc.poll() is not None
            _kill_group(proc)
    killed_output = log_path.read_text(errors="replace")
    assert not finished_early, (
        f"the run ended before its first checkpoint:\n{killed_output[-3000:]}"
    )
    resume()
    files = [read_run(d) for d in find_run_dirs(runs_root)]
    return KilledAndResumed(files, killed_output, time.monotonic() - start)


def interrupt_after_checkpoint(
    command: Sequence[str],
    *,
    checkpoint: Path,
    signum: int,
    log_path: Path,
    timeout: float = 300,
) -> tuple[int, str]:
    """Start `command`, send `signum` once `checkpoint` exists, wait; its exit code and output.

    SIGINT goes to the whole process group, as Ctrl-C in a terminal does (data loader workers and
    wandb's service get it too); SIGTERM to the process alone, as `kill <pid>` does. Raises
    AssertionError with the output when the program ends before its first checkpoint.
    """
    start = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A shell's background job starts with SIGINT ignored, and Python then installs no
            # Ctrl-C handler: give the program the terminal's default, as a user's shell does.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            while not checkpoint.is_file():
                if proc.poll() is not None or time.monotonic() - start > timeout:
                    break
                time.sleep(0.05)
            finished_early = proc.poll() is not None
            if not finished_early:
                send = os.killpg if signum == signal.SIGINT else os.kill
                send(proc.pid, signum)
            code = proc.wait(timeout=120)
        finally:
            _kill_group(proc)  # whatever is left (wandb's service), as after any test
    output = log_path.read_text(errors="replace")
    assert not finished_early, f"the run ended before its first checkpoint:\n{output[-3000:]}"
    return code, output
