"""What an offline run could not do: registry links and reports, queued beside the run.

An offline run cannot link to the Registry (`run.link_artifact` raises NotImplementedError) or
save a Report. Instead of failing, we append the call we would have made to
`<run dir>/wb_demo_pending.jsonl`; `wb-demo sync` uploads the run with `wandb sync` and then
replays each entry against the server (see `replay`). Replayed entries are recorded in
`wb_demo_done.jsonl`, so running `wb-demo sync` twice links nothing twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PENDING_FILE = "wb_demo_pending.jsonl"
DONE_FILE = "wb_demo_done.jsonl"
ACTIONS = ("link", "report")


def queue_action(run_dir: str | Path, action: dict[str, Any]) -> Path:
    """Append one pending action (`{"action": "link" | "report", ...}`) to the run's queue."""
    if action.get("action") not in ACTIONS:
        raise ValueError(f"unknown pending action {action.get('action')!r}")
    path = Path(run_dir) / PENDING_FILE
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(action, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def pending_actions(run_dir: str | Path) -> list[dict[str, Any]]:
    """The queued actions of a run that have not been replayed yet, oldest first."""
    run_dir = Path(run_dir)
    done = {json.dumps(a, sort_keys=True) for a in _read_jsonl(run_dir / DONE_FILE)}
    return [
        a for a in _read_jsonl(run_dir / PENDING_FILE) if json.dumps(a, sort_keys=True) not in done
    ]


def mark_done(run_dir: str | Path, action: dict[str, Any]) -> None:
    with (Path(run_dir) / DONE_FILE).open("a", encoding="utf-8") as f:
        f.write(json.dumps(action, ensure_ascii=False, sort_keys=True) + "\n")


def describe(action: dict[str, Any]) -> str:
    """The call an action stands for, as a person would write it."""
    if action["action"] == "link":
        return (
            f"api.run({action['run_path']!r}) -> artifact {action['artifact']!r} "
            f"(digest {action['digest'][:12]}) .link({action['target']!r}, "
            f"aliases={action['aliases']})"
        )
    spec = action["spec"]
    return (
        f"wr.Report(project={spec['project']!r}, title={spec['title']!r}, "
        f"runs in group {spec.get('group')!r}).save()"
    )


def replay(run_dir: str | Path, api: Any, *, dry_run: bool = False) -> list[str]:
    """Run the queued actions of one synced run against `api` (a `wandb.Api`).

    Returns one line per action. With `dry_run`, only says what it would call.
    """
    from wb_common.report import publish_report  # local: reports pull in wandb_workspaces

    lines = []
    for action in pending_actions(run_dir):
        line = describe(action)
        if dry_run:
            lines.append(f"would call: {line}")
            continue
        if action["action"] == "link":
            _replay_link(api, action)
        else:
            publish_report(action["spec"], api=api)
        mark_done(run_dir, action)
        lines.append(f"done: {line}")
    return lines


def _replay_link(api: Any, action: dict[str, Any]) -> None:
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
