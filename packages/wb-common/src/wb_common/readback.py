"""Reading back what an offline run actually recorded.

Tests (and `wb-demo inspect`) assert on what W&B wrote, not on what the code meant to log. The
run's transaction log `run-<id>.wandb` is decoded by W&B's own reader, `wandb leet inspect --json`
(one JSON record per line); media and table files are read from the run's `files/` folder and from
W&B's artifact staging area, where an offline run keeps artifact files until `wandb sync`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CLIENT_ARTIFACT = "wandb-client-artifact://"


@dataclass
class RecordedArtifact:
    name: str
    type: str
    aliases: list[str]
    metadata: dict[str, Any]
    files: dict[str, Path]  # path inside the artifact -> where the bytes are on this machine
    client_id: str = ""

    def read_text(self, path: str) -> str:
        return self.files[path].read_text(encoding="utf-8")

    def read_json(self, path: str) -> Any:
        return json.loads(self.read_text(path))


@dataclass
class RecordedRun:
    path: Path  # the run folder, `.../wandb/offline-run-*`
    run_id: str
    project: str
    group: str
    job_type: str
    tags: list[str]
    config: dict[str, Any]
    history: list[dict[str, Any]]
    summary: dict[str, Any]
    artifacts: list[RecordedArtifact] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def history_keys(self) -> set[str]:
        return {k for row in self.history for k in row if not k.startswith("_")}

    def metric(self, key: str) -> list[Any]:
        """Every value logged under `key`, in order."""
        return [row[key] for row in self.history if key in row]

    def media(self, key: str) -> list[dict[str, Any]]:
        """Every media object (image, video, table ref...) logged under `key`, as nested dicts."""
        prefix = key + "."
        found = []
        for row in self.history:
            parts = {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}
            if parts:
                found.append(_unflatten(parts))
        return found

    def file(self, relative: str) -> Path:
        """A file the run wrote under `files/`, e.g. a media path from `media()`."""
        return self.path / "files" / relative

    def artifact(self, name: str, type: str | None = None) -> RecordedArtifact:
        """The last logged version of an artifact by name (and type)."""
        matches = [a for a in self.artifacts if a.name == name and (type is None or a.type == type)]
        if not matches:
            names = sorted({a.name for a in self.artifacts})
            raise KeyError(f"run {self.run_id} logged no artifact {name!r}; it logged: {names}")
        return matches[-1]

    def table(self, key: str) -> dict[str, Any]:
        """The last table logged under `key`: {"columns": [...], "data": [[...], ...]}."""
        refs = [m for m in self.media(key) if m.get("_type") == "table-file"]
        if not refs:
            raise KeyError(f"run {self.run_id} logged no table under {key!r}")
        ref = refs[-1]["artifact_path"]
        client_id, _, inner = ref.removeprefix(_CLIENT_ARTIFACT).partition("/")
        for artifact in self.artifacts:
            if artifact.client_id == client_id:
                table = artifact.read_json(inner)
                table["artifact"] = artifact
                return table
        raise KeyError(f"table {key!r} refers to an artifact this run did not record")


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _records(run_path: Path) -> list[dict[str, Any]]:
    # `python -m wandb` finds the CLI in this interpreter's environment, whatever PATH says.
    proc = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", str(run_path), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"W&B 실행을 읽지 못했습니다 — could not read W&B run {run_path}: "
            f"{proc.stderr.strip()[-500:]}"
        )
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def read_run(run_path: str | Path) -> RecordedRun:
    """Decode one offline run folder (`.../wandb/offline-run-*`)."""
    run_path = Path(run_path)
    if not list(run_path.glob("*.wandb")):
        raise FileNotFoundError(
            f"W&B 실행 폴더가 아닙니다 — {run_path} is not a W&B run folder (no .wandb file in it)."
        )
    run = RecordedRun(run_path, "", "", "", "", [], {}, [], {})
    for record in _records(run_path):
        kind = record.get("type")
        body = record.get(kind) or {}
        if kind == "run":
            run.run_id = body.get("run_id", "")
            run.project = body.get("project", "")
            run.group = body.get("run_group", "")
            run.job_type = body.get("job_type", "")
            run.tags = body.get("tags", [])
            run.config.update(_user_config(body.get("config", {})))
        elif kind == "config":
            run.config.update(_user_config(body))
        elif kind == "history":
            run.history.append(body.get("item", {}))
        elif kind == "summary":
            run.summary.update(body.get("update", {}))
        elif kind == "artifact":
            run.artifacts.append(_artifact(body))
        elif kind == "exit":
            run.exit_code = body.get("exit_code", 0)
    return run


def _user_config(update: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in update.get("update", {}).items() if k != "_wandb"}


def _artifact(body: dict[str, Any]) -> RecordedArtifact:
    metadata = body.get("metadata") or "{}"
    return RecordedArtifact(
        name=body.get("name", ""),
        type=body.get("type", ""),
        aliases=body.get("aliases", []),
        metadata=json.loads(metadata) if isinstance(metadata, str) else metadata,
        files={
            entry["path"]: Path(entry["local_path"])
            for entry in body.get("manifest", {}).get("contents", [])
            if entry.get("local_path")
        },
        client_id=body.get("client_id", ""),
    )


_FOLDER_TIME = re.compile(r"run-(\d{8}_\d{6})-")


def _started(run_dir: Path) -> tuple[str, str, str]:
    """When a run started, as a sort key.

    wandb names the folder by the second only, then the random run id, so two runs started in the
    same second would sort by id. The first line of the run's own `logs/debug.log` is written
    when the run starts, to the millisecond (`2026-11-30 08:27:28,089 INFO ...`).
    """
    second = _FOLDER_TIME.search(run_dir.name)
    try:
        with (run_dir / "logs" / "debug.log").open(encoding="utf-8") as log:
            first_line = log.readline()[:23]
    except OSError:
        first_line = ""
    return (second.group(1) if second else "", first_line, run_dir.name)


def find_run_dirs(root: str | Path, run_id: str | None = None) -> list[Path]:
    """Offline and online run folders under `root` (a wandb dir or its parent), oldest first."""
    root = Path(root)
    if list(root.glob("*.wandb")):
        return [root]
    base = root / "wandb" if (root / "wandb").is_dir() else root
    dirs = sorted(
        (
            p
            for p in base.glob("*run-*")
            if p.is_dir() and not p.is_symlink() and p.name != "latest-run"
        ),
        key=_started,
    )
    if run_id is not None:
        # `offline-run-<time>-<id>`; a resume in the same second as the run it continues gets
        # `…-<id>-1` (wandb adds a suffix instead of reusing the folder).
        own = re.compile(rf"-{re.escape(run_id)}(-\d+)?$")
        dirs = [p for p in dirs if own.search(p.name)]
    return dirs
