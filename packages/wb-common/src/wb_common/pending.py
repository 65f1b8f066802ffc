"""What an offline run could not do, queued beside the run: a plain queue with handlers.

An offline run cannot link to the Registry (`run.link_artifact` raises NotImplementedError) or
save a Report. Instead of failing, the owner of that call appends it to
`<run dir>/wb_demo_pending.jsonl`; `wb-demo sync` uploads the run with `wandb sync` and then
replays each entry against the server (see `replay`). Replayed entries are recorded in
`wb_demo_done.jsonl`, so running `wb-demo sync` twice links nothing twice.

This module knows no kind of action: each owner registers its own (`register_action`) —
wb_common.artifacts the "link", wb_common.report the "report" — so the dependency runs one way,
owners -> queue. Both register on import, and importing any `wb_common` module imports the
package, which imports both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PENDING_FILE = "wb_demo_pending.jsonl"
DONE_FILE = "wb_demo_done.jsonl"


@dataclass(frozen=True)
class ActionKind:
    """How the queue checks, shows and replays one kind of action."""

    problem: Callable[[dict[str, Any]], str | None]  # why an entry cannot be replayed, or None
    describe: Callable[[dict[str, Any]], str]  # the call it stands for, as a person writes it
    replay: Callable[[dict[str, Any], Any], None]  # (action, wandb.Api) -> done, or raises


HANDLERS: dict[str, ActionKind] = {}  # "link" | "report" -> its kind, registered by its owner


def register_action(name: str, kind: ActionKind) -> None:
    """Called once by the module that queues actions called `name`."""
    HANDLERS[name] = kind


def queue_action(run_dir: str | Path, action: dict[str, Any]) -> Path:
    """Append one pending action (`{"action": "link" | "report", ...}`) to the run's queue."""
    if action.get("action") not in HANDLERS:
        raise ValueError(f"unknown pending action {action.get('action')!r}")
    path = Path(run_dir) / PENDING_FILE
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(action, ensure_ascii=False, sort_keys=True) + "\n")
    return path


class ReplayError(RuntimeError):
    """Some queued actions failed; every other one still ran. `lines` has one line per action."""

    def __init__(self, lines: list[str], failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.lines, self.failures = lines, failures


def _problem(action: Any) -> str | None:
    """Why a parsed line is not an action we can replay, or None when it is one."""
    if not isinstance(action, dict):
        return f"a JSON {type(action).__name__}, not an object"
    kind = HANDLERS.get(action.get("action"))  # type: ignore[arg-type]
    if kind is None:
        return f"unknown action {action.get('action')!r}"
    return kind.problem(action)


def read_queue(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """(actions, problems) of a JSONL queue: a bad line is skipped and named by its number.

    A line cut short by a crash, or valid JSON of the wrong shape, must not stop every other
    action from running (or `wb-demo sync --dry-run` from answering).
    """
    if not path.is_file():
        return [], []
    actions, problems = [], []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            action = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            problems.append(f"{path.name} line {number}: not JSON (cut short?); skipped")
            continue
        if reason := _problem(action):
            problems.append(f"{path.name} line {number}: {reason}; skipped")
            continue
        actions.append(action)
    return actions, problems


def _key(action: dict[str, Any]) -> str:
    return json.dumps(action, sort_keys=True, ensure_ascii=False)


def pending_actions(run_dir: str | Path) -> list[dict[str, Any]]:
    """The queued actions of a run not replayed yet, oldest first, each once (a line queued
    twice is one action); lines that are not actions are left out (see queue_problems)."""
    run_dir = Path(run_dir)
    seen = {_key(a) for a in read_queue(run_dir / DONE_FILE)[0]}
    actions = []
    for action in read_queue(run_dir / PENDING_FILE)[0]:
        if _key(action) not in seen:
            seen.add(_key(action))
            actions.append(action)
    return actions


def queue_problems(run_dir: str | Path) -> list[str]:
    """The queue's lines that cannot be replayed, by line number."""
    return read_queue(Path(run_dir) / PENDING_FILE)[1]


def mark_done(run_dir: str | Path, action: dict[str, Any]) -> None:
    with (Path(run_dir) / DONE_FILE).open("a", encoding="utf-8") as f:
        f.write(json.dumps(action, ensure_ascii=False, sort_keys=True) + "\n")


def describe(action: dict[str, Any]) -> str:
    """The call an action stands for, as a person would write it."""
    return HANDLERS[action["action"]].describe(action)


def replay(run_dir: str | Path, api: Any, *, dry_run: bool = False) -> list[str]:
    """Run the queued actions of one synced run against `api` (a `wandb.Api`).

    Returns one line per action (and per skipped line). Every action runs, even after one
    fails; each is replayed once (recorded in wb_demo_done.jsonl as it succeeds). When any
    failed, raises ReplayError after the last one, with every line and each failure.
    With `dry_run`, only says what it would call.
    """
    lines = [f"skipped: {problem}" for problem in queue_problems(run_dir)]
    failures = []
    for action in pending_actions(run_dir):
        line = describe(action)
        if dry_run:
            lines.append(f"would call: {line}")
            continue
        try:
            HANDLERS[action["action"]].replay(action, api)
        except Exception as err:  # the server said no, or the run is not uploaded yet
            failures.append(f"{line}: {type(err).__name__}: {err}")
            lines.append(f"failed: {line} ({type(err).__name__}: {err})")
            continue
        mark_done(run_dir, action)
        lines.append(f"done: {line}")
    if failures:
        raise ReplayError(lines, failures)
    return lines
