"""What an offline run could not do, queued beside the run: a plain queue with handlers.

An offline run cannot link to the Registry (`run.link_artifact` raises NotImplementedError) or
save a Report. Instead of failing, the owner of that call appends it to
`<run dir>/wb_demo_pending.jsonl`; `wb-demo sync` uploads the run with `wandb sync` and then
replays each entry against the server (see `replay`). Replayed entries are recorded in
`wb_demo_done.jsonl`, so running `wb-demo sync` twice links nothing twice.

The queue holds two actions (ACTIONS): a "link", queued by wb_common.artifacts, and a "report",
queued by wb_common.report. This module knows their line format; their owners replay them, and
whoever replays a queue names the replayers (`replay(run_dir, api, replayers)`: `wb-demo sync`
passes wb_common.cli.REPLAYERS), so the dependency runs one way, owners -> queue.

The queue is untrusted (a run folder can come from anyone, and `wb-demo sync` replays it with
the syncing user's key), so it names only what its run owns: a line's `run_path` must be the
run the folder's own `.wandb` log records (entity/project/id), its `target` a collection of
the syncing user's registry that the run's task may link to (target_problem), its `aliases`
none of PROTECTED_ALIASES
(`production` fires the deploy webhook: it is given by `wb-demo promote`, never by a queue);
a report's `spec` saves into the run's own project (and entity, when it names one:
_report_place) and carries only the fields build_report reads, each bounded (_report_problem).
A symlinked or oversized queue file is refused whole; an over-long line is refused without
being held in memory. Only PENDING_FILE is replayed; nothing else in the folder is.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wb_common.payload import PRODUCTION_ALIAS
from wb_common.tasks import TASKS, collection_for, registry_path

PENDING_FILE = "wb_demo_pending.jsonl"
DONE_FILE = "wb_demo_done.jsonl"
PROTECTED_ALIASES = frozenset({PRODUCTION_ALIAS})  # only `wb-demo promote` gives these
MAX_QUEUE_BYTES = 1024 * 1024  # a queue holds a handful of ~1 KB lines
MAX_LINE_BYTES = 64 * 1024
REFUSED = "refused: "  # how replay's lines begin for a line or file the queue may not name


def _link_problem(action: dict[str, Any]) -> str | None:
    text = [
        k
        for k in ("run_path", "artifact", "digest", "target")
        if not isinstance(action.get(k), str)
    ]
    if text:
        return f"a link without a text {text[0]!r}"
    aliases = action.get("aliases")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        return "a link whose 'aliases' is not a list of names"
    return None


# What a report spec (wb_common.report.report_spec) may carry, each field as build_report uses
# it: text -> its most characters; list -> its most items (each a name of at most _NAME chars).
# `entity` and `group` may be None (the syncing user's default entity; all the project's runs).
# Checked by hand like the link's fields: nine fields, each refusal one sentence naming it.
_NAME = 256  # a metric, config key or step key
_REPORT_TEXT = {"entity": 128, "project": 128, "title": 256, "description": 4096,
                "metric": _NAME, "x_axis": _NAME, "group": 128}  # fmt: skip
_REPORT_LISTS = {"params": 64, "line_metrics": 16}  # parallel-coordinates columns; line plots
_REPORT_OPTIONAL = {"x_axis"}  # build_report reads it with a default ("epoch")
_GROUP = re.compile(r"[^'\\\x00-\x1f\x7f]+")  # quoted inside the runset's filter expression


def _report_problem(action: dict[str, Any]) -> str | None:
    spec = action.get("spec")
    if not isinstance(spec, dict):
        return "a report without a 'spec' object"
    fields = {**_REPORT_TEXT, **_REPORT_LISTS}
    if unknown := sorted(set(spec) - set(fields)):
        return f"a report whose spec has the unknown field {unknown[0][:40]!r}"
    if missing := [k for k in fields if k not in spec and k not in _REPORT_OPTIONAL]:
        return f"a report whose spec lacks {missing[0]!r}"
    for key, most in _REPORT_TEXT.items():
        value = spec.get(key, "epoch")  # only x_axis may be absent (checked above)
        if value is None and key in ("entity", "group"):
            continue
        if not isinstance(value, str) or not 0 < len(value) <= most:
            return f"a report whose {key!r} is not a text of 1 to {most} characters"
    if spec["group"] is not None and not _GROUP.fullmatch(spec["group"]):
        return "a report whose 'group' holds a quote, backslash or control character"
    for key, most in _REPORT_LISTS.items():
        names = spec[key]
        if (
            not isinstance(names, list)
            or len(names) > most
            or not all(isinstance(n, str) and 0 < len(n) <= _NAME for n in names)
        ):
            return f"a report whose {key!r} is not a list of at most {most} names"
    return None


# Every action a queue line may name -> why a line of it cannot be replayed (None: it can).
# Replayed by wb_common.artifacts.replay_link and wb_common.report.replay_report (cli.REPLAYERS).
ACTIONS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "link": _link_problem,
    "report": _report_problem,
}
Replayer = Callable[[dict[str, Any], Any], None]  # (action, wandb.Api) -> done, or raises


def queue_action(run_dir: str | Path, action: dict[str, Any]) -> Path:
    """Append one pending action (`{"action": "link" | "report", ...}`) to the run's queue.

    Raises ValueError for a line replay would skip, or a queue file that is a symlink (never
    written through, like DONE_FILE) or not a regular file.
    """
    if reason := _problem(action):
        raise ValueError(f"not a pending action: {reason}")
    path = Path(run_dir) / PENDING_FILE
    try:
        _append(path, action)
    except OSError as err:
        if err.errno not in _NOT_REGULAR:  # e.g. no run folder: said as the OS says it
            raise
        raise ValueError(
            f"대기열 파일 {path}이 심볼릭 링크이거나 일반 파일이 아니라 쓰지 않았습니다. "
            f"{path} is a symlink or not a regular file ({err.strerror}), so nothing was queued"
        ) from None
    return path


# a symlink planted in its place (O_NOFOLLOW), a FIFO (O_NONBLOCK), a folder, anything else
_NOT_REGULAR = (errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.EINVAL)


def _append(path: Path, action: dict[str, Any]) -> None:
    """Append one line to a queue file, never through a symlink (O_NOFOLLOW) nor to a FIFO."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO: ENXIO
    with os.fdopen(os.open(path, flags, 0o644), "a", encoding="utf-8") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        f.write(json.dumps(action, ensure_ascii=False, sort_keys=True) + "\n")


class ReplayError(RuntimeError):
    """Some queued actions failed; every other one still ran. `lines` has one line per action."""

    def __init__(self, lines: list[str], failures: list[str]) -> None:
        super().__init__("; ".join(failures))
        self.lines, self.failures = lines, failures


def _problem(action: Any) -> str | None:
    """Why a parsed line is not an action we can replay, or None when it is one."""
    if not isinstance(action, dict):
        return f"a JSON {type(action).__name__}, not an object"
    problem = ACTIONS.get(action.get("action"))  # type: ignore[arg-type]
    if problem is None:
        return f"unknown action {action.get('action')!r}"
    return problem(action)


_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # W&B's collection names


def target_problem(target: str, owner: str | None) -> str | None:
    """Why a queued link's target is not one its run may link to, or None.

    The target is `wandb-registry-model/<collection>` (registry_path without an entity: the
    syncing user's own registry, never another team's), and a task's collection (or its smoke
    twin, wb_common.tasks) only from a run of that task's project: a classification run never
    links into `coco128-detector`. A collection named after the user's own data (cls-train's
    `--dataset imagefolder`: `<folder>-classifier`, or `--registry-collection`) is no task's.
    """
    prefix = registry_path("")
    name = target[len(prefix) :] if target.startswith(prefix) else ""
    if not _COLLECTION.fullmatch(name):
        return f"not {prefix}<collection>"
    project = owner.split("/")[1] if owner and owner.count("/") == 2 else None
    for task in TASKS.values():
        if name in (task.collection, collection_for(task.collection, smoke=True)):
            return None if task.project == project else f"the {task.name} task's collection"
    return None


@functools.lru_cache(maxsize=64)
def _recorded_run_path(wandb_file: str, _stamp: tuple[int, int]) -> str | None:
    """`entity/project/id` from the first `run` record of a .wandb log ("" entity: offline).

    Read by wandb-core's own log reader (`wandb leet inspect --json`, called directly: the
    Python CLI only adds ~2 s of imports), stopped at that record. `_stamp` (mtime, size)
    keeps the cache honest when the file changes.
    """
    from wandb.util import get_core_path

    command = [get_core_path(), "leet", "inspect", "--no-observability", "--json",
               "--run-file", wandb_file]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        try:
            for _ in range(16):  # the run record is the 2nd, after the header
                line = proc.stdout.readline(MAX_QUEUE_BYTES)  # type: ignore[union-attr]
                if not line:
                    break
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if not isinstance(record, dict) or record.get("type") != "run":
                    continue
                run = record.get("run")
                if isinstance(run, dict):
                    parts = [run.get(k, "") for k in ("entity", "project", "run_id")]
                    if all(isinstance(p, str) for p in parts) and all(parts[1:]):
                        return "/".join(parts)
                    return None
        finally:
            proc.kill()
    return None


def run_owner(run_dir: str | Path) -> str | None:
    """The run a folder records, as a queued `run_path` names it; None when none is readable."""
    logs = [p for p in Path(run_dir).glob("*.wandb") if p.is_file() and not p.is_symlink()]
    if len(logs) != 1:
        return None
    info = logs[0].stat()
    try:
        return _recorded_run_path(str(logs[0]), (info.st_mtime_ns, info.st_size))
    except Exception:  # wandb-core missing or unreadable log: the queue is not replayed
        return None


def _owned_by(run_dir: str | Path) -> Callable[[dict[str, Any]], str | None]:
    """The check of read_queue for a run folder's queue (see _not_owned)."""
    return functools.partial(_not_owned, owner=run_owner(run_dir))


def _not_owned(action: dict[str, Any], owner: str | None) -> str | None:
    """Why an action names something its run does not own (one sentence), or None."""
    if "run_path" in action and action["run_path"] != owner:
        return (
            f"이 폴더의 실행({owner or '알 수 없음'})이 아닌 실행({action['run_path']})을 "
            f"가리킵니다. names run {action['run_path']!r}, not this folder's own run "
            f"{owner or '(none recorded)'}"
        )
    if action["action"] == "report" and (place := _report_place(action["spec"], owner)):
        return (
            f"이 폴더의 실행({owner or '알 수 없음'})의 프로젝트가 아닌 {place}에 리포트를 "
            f"저장하려 합니다. saves a report into {place!r}, not the project of this folder's "
            f"own run {owner or '(none recorded)'}"
        )
    why = target_problem(action["target"], owner) if "target" in action else None
    if why:
        return (
            f"이 실행이 연결할 수 없는 레지스트리 대상 {action['target']!r}을 가리킵니다. "
            f"targets {action['target']!r} ({why}), not a collection this run links to"
        )
    aliases = action.get("aliases")
    protected = sorted(PROTECTED_ALIASES & set(aliases)) if isinstance(aliases, list) else []
    if protected:
        return (
            f"보호된 별칭 {protected}은 대기열로 줄 수 없습니다(`wb-demo promote`로만). "
            f"asks for the protected alias {protected}, which only `wb-demo promote` gives"
        )
    return None


def _report_place(spec: dict[str, Any], owner: str | None) -> str | None:
    """Where a report spec would be saved, when that is not its run's own project; else None.

    The project must be the run's; an entity, when the spec carries one, the run's too (an
    offline run without one records "": its report, like its links, goes to the syncing user's
    default entity, so a spec naming any entity is refused).
    """
    entity, project = owner.split("/")[:2] if owner and owner.count("/") == 2 else (None, None)
    ok = spec["project"] == project and spec["entity"] in (None, entity or None)
    return None if ok else f"{spec['entity'] or ''}/{spec['project']}"


def _open_bounded(path: Path) -> bytes | str | None:
    """The file's bytes, None when absent, or why it is refused (one sentence)."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except FileNotFoundError:
        return None
    except OSError:  # ELOOP: a symlink (O_NOFOLLOW), or unreadable
        return (
            f"{path.name}이 일반 파일이 아니라(심볼릭 링크 등) 읽지 않았습니다. {path.name} is "
            "not a regular file (a symlink?), so none of it is replayed"
        )
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return (
                f"{path.name}이 일반 파일이 아니라 읽지 않았습니다. {path.name} is not a "
                "regular file, so none of it is replayed"
            )
        data = f.read(MAX_QUEUE_BYTES + 1)
    if len(data) > MAX_QUEUE_BYTES:
        return (
            f"{path.name}이 {MAX_QUEUE_BYTES // 1024} KB보다 커서 읽지 않았습니다. {path.name} "
            f"is over {MAX_QUEUE_BYTES // 1024} KB, so none of it is replayed"
        )
    return data


def read_queue(
    path: Path, check: Callable[[dict[str, Any]], str | None] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(actions, problems) of a JSONL queue: a bad line is skipped and named by its number.

    A line cut short by a crash, or valid JSON of the wrong shape, must not stop every other
    action from running (or `wb-demo sync --dry-run` from answering). A line `check` names a
    reason for (see _owned_by) is refused: its problem begins with REFUSED.
    """
    data = _open_bounded(path)
    if data is None:
        return [], []
    if isinstance(data, str):
        return [], [REFUSED + data]
    actions, problems = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if len(raw) > MAX_LINE_BYTES:
            problems.append(
                f"{REFUSED}{path.name} {number}번째 줄이 {MAX_LINE_BYTES // 1024} KB보다 깁니다. "
                f"{path.name} line {number} is over {MAX_LINE_BYTES // 1024} KB"
            )
            continue
        line = raw.decode("utf-8", errors="replace")
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
        if check is not None and (reason := check(action)):
            problems.append(f"{REFUSED}{path.name} {number}번째 줄: {reason}.")
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
    for action in read_queue(run_dir / PENDING_FILE, _owned_by(run_dir))[0]:
        if _key(action) not in seen:
            seen.add(_key(action))
            actions.append(action)
    return actions


def queue_problems(run_dir: str | Path) -> list[str]:
    """The queue's lines that cannot be replayed, by line number (refused ones: REFUSED...)."""
    return read_queue(Path(run_dir) / PENDING_FILE, _owned_by(run_dir))[1]


def mark_done(run_dir: str | Path, action: dict[str, Any]) -> None:
    """Append to DONE_FILE, never through a symlink planted in its place (O_NOFOLLOW)."""
    _append(Path(run_dir) / DONE_FILE, action)


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


def replay(
    run_dir: str | Path, api: Any, replayers: dict[str, Replayer], *, dry_run: bool = False
) -> list[str]:
    """Run the queued actions of one synced run against `api` (a `wandb.Api`).

    `replayers` maps each action to the call that makes it (cli.REPLAYERS: all of them); an
    action it leaves out stays queued, untouched. Returns one line per action (and per skipped
    line). Every action runs, even after one fails; each is replayed once (recorded in
    wb_demo_done.jsonl as it succeeds). When any failed, raises ReplayError after the last one,
    with every line and each failure. With `dry_run`, only says what it would call.
    """
    lines = [p if p.startswith(REFUSED) else f"skipped: {p}" for p in queue_problems(run_dir)]
    failures = []
    for action in pending_actions(run_dir):
        if action["action"] not in replayers:
            continue
        line = describe(action)
        if dry_run:
            lines.append(f"would call: {line}")
            continue
        try:
            replayers[action["action"]](action, api)
        except Exception as err:  # the server said no, or the run is not uploaded yet
            failures.append(f"{line}: {type(err).__name__}: {err}")
            lines.append(f"failed: {line} ({type(err).__name__}: {err})")
            continue
        try:
            mark_done(run_dir, action)
        except OSError as err:  # e.g. a symlink planted as the done file (ELOOP)
            failures.append(f"{line}: done, but {DONE_FILE} was not written ({err.strerror})")
            lines.append(f"failed: {line} (done, but {DONE_FILE} was not written: {err.strerror})")
            continue
        lines.append(f"done: {line}")
    if failures:
        raise ReplayError(lines, failures)
    return lines
