"""`deployment.json` (what is served now) and `deployments.jsonl` (every deployment, in order).

Only `viewer-deploy` writes them, and only after the model has loaded and answered one sample.
`record()` does the read-modify-write under an exclusive lock (`.deployment.lock`, fcntl), so two
deploys of different model types at once both land. It writes a journal first
(`.deployment.json.pending`: the new manifest), then the history line, then the manifest
(atomically: a temporary file, then `os.replace`), then removes the journal. A crash (`kill -9`)
at any point leaves either the old state or a journal, and the next run under the lock finishes
the journal before anything else: deployment.json and deployments.jsonl always agree. Stale
temporary files and download folders of dead processes are removed on that next run too.

One entry per model type: promoting the segmenter does not take the classifier off the air.

    {"schema": 1, "models": {"classification": {"model_name": "cifar10-classifier",
      "version": "v3", "artifact_path": "team/wandb-registry-model/cifar10-classifier:v3", ...}}}
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wb_common import ModelCard, ModelCardError

SCHEMA = 1
DEPLOYMENT_FILE = "deployment.json"
HISTORY_FILE = "deployments.jsonl"
MODELS_DIR = "models"  # validated artifact files, one folder per deployed version (git-ignored)
HOME_ENV = "VIEWER_HOME"  # tests and air-gapped copies point the app and the command elsewhere
LOCK_FILE = ".deployment.lock"
JOURNAL_FILE = ".deployment.json.pending"


class DeploymentError(RuntimeError):
    """deployment.json or the deployed files are missing or damaged; one sentence says which."""


@dataclass(frozen=True)
class Deployment:
    model_type: str
    model_name: str  # the registry collection, e.g. "cifar10-classifier"
    version: str  # "v3"
    artifact_path: str  # "team/wandb-registry-model/cifar10-classifier:v3"
    deployed_at: str  # ISO 8601, UTC
    deployed_by: str  # who gave the alias (webhook event_author), or "local"
    source: str  # "wandb" (downloaded by the deploy) or "local" (--artifact-dir)
    files: dict[str, str]  # file name -> sha256 of what the deploy validated
    card: dict[str, Any]  # the model card, so the app can describe the model without W&B
    smoke_test: dict[str, Any] = field(default_factory=dict)  # the sample and its prediction
    # Orders deploys of one model type that ran side by side: the workflow passes its run id,
    # which GitHub assigns in trigger order. 0 (local deploys) never blocks anything.
    sequence: int = 0

    @property
    def model_card(self) -> ModelCard:
        return ModelCard.from_dict(self.card)

    @property
    def folder_name(self) -> str:
        return f"{self.model_name}-{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


INSTALLED_HOME = "wb-demo-viewer"  # under the current folder, for a pip-installed viewer


def default_home(package_file: str | Path = __file__) -> Path:
    """Where deployment.json lives: $VIEWER_HOME, else apps/viewer in a checkout of the repo.

    A checkout (the workflow's `uv sync`, an editable install, Streamlit Cloud's source path)
    keeps the package in `apps/viewer/src/viewer/`, beside the committed deployment.json. A
    pip-installed wheel sits in site-packages, where nothing may be written and no manifest
    ships: there it is `./wb-demo-viewer` under the current folder (notebook 07 and
    `viewer-rehearse` pass their own folder anyway).
    """
    if home := os.environ.get(HOME_ENV):
        return Path(home)
    package = Path(package_file).resolve().parent
    project = package.parents[1]
    if package.parent.name == "src" and (project / "pyproject.toml").is_file():
        return project
    return Path.cwd() / INSTALLED_HOME


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: sha256_file(folder / name) for name in names}


def _parse_entry(model_type: str, entry: Any) -> Deployment:
    if not isinstance(entry, dict):
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the entry for {model_type!r} is not an object.")
    try:
        deployment = Deployment(**entry)
    except TypeError as err:
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} entry: {err}.") from None
    if deployment.model_type != model_type:
        raise DeploymentError(
            f"{DEPLOYMENT_FILE}: the {model_type!r} entry says {deployment.model_type!r}."
        )
    if not isinstance(deployment.sequence, int) or isinstance(deployment.sequence, bool):
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} sequence is not a number.")
    files = deployment.files
    if not isinstance(files, dict) or not all(
        isinstance(n, str) and Path(n).name == n and n not in ("", ".", "..") for n in files
    ):
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} files must be plain names.")
    try:
        card = deployment.model_card
    except ModelCardError as err:
        raise DeploymentError(f"{DEPLOYMENT_FILE}: the {model_type!r} card: {err}.") from None
    if card.model_type != model_type:
        raise DeploymentError(
            f"{DEPLOYMENT_FILE}: the {model_type!r} card describes a {card.model_type} model."
        )
    return deployment


def read_deployments(home: Path) -> dict[str, Deployment]:
    """model_type -> what is deployed; {} when nothing has been deployed yet."""
    path = home / DEPLOYMENT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DeploymentError(f"{path} is not readable JSON ({err}).") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise DeploymentError(f"{path} is not a schema-{SCHEMA} deployment manifest.")
    models = data.get("models")
    if not isinstance(models, dict):
        raise DeploymentError(f"{path} has no 'models' object.")
    return {model_type: _parse_entry(model_type, entry) for model_type, entry in models.items()}


def manifest_bytes(deployments: dict[str, Deployment]) -> bytes:
    models = {t: deployments[t].to_dict() for t in sorted(deployments)}
    text = json.dumps({"schema": SCHEMA, "models": models}, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old bytes or the new ones."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def history_line(deployment: Deployment) -> str:
    return json.dumps(deployment.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"


def append_history(home: Path, deployment: Deployment) -> None:
    """Append one line; a partial last line (a crash mid-write) is closed off first."""
    path = home / HISTORY_FILE
    with open(path, "ab") as f:
        if f.tell() > 0:
            with open(path, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    f.write(b"\n")
        f.write(history_line(deployment).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def _last_history_line(home: Path) -> str:
    try:
        lines = (home / HISTORY_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    return lines[-1] + "\n" if lines else ""


def read_history(home: Path) -> list[dict[str, Any]]:
    """Every recorded deployment, oldest first; unreadable lines are skipped, not fatal."""
    try:
        lines = (home / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def model_folder(home: Path, deployment: Deployment) -> Path:
    return home / MODELS_DIR / deployment.folder_name


def verify_files(folder: Path, deployment: Deployment) -> None:
    """The files in `folder` are exactly the ones the deploy validated (sha256)."""
    for name, expected in deployment.files.items():
        path = folder / name
        if not path.is_file():
            raise DeploymentError(f"{path} is missing.")
        if sha256_file(path) != expected:
            raise DeploymentError(f"{path} differs from the file that was validated at deploy.")


# --- writing: one lock, a journal, and cleanup of what a killed run left ---------------------


@contextlib.contextmanager
def locked(home: Path) -> Iterator[None]:
    """Hold the manifest's exclusive lock (fcntl.flock: released by the OS if we die)."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def scratch_dir(parent: Path, label: str) -> Path:
    """A temporary folder named `.<label>.<pid>.<random>`: `clean_stale` knows whose it is."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{label}.{os.getpid()}.", dir=parent))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale(home: Path) -> list[str]:
    """Remove what killed runs left behind; call it holding the lock. Returns what went."""
    removed = []
    # .deployment.json.X and ..deployment.json.pending.X (the journal's own temporary file)
    for tmp in home.glob(f".*{DEPLOYMENT_FILE}.*"):
        if tmp.name != JOURNAL_FILE:  # write_atomic's temporary files: only written under lock
            tmp.unlink(missing_ok=True)
            removed.append(tmp.name)
    models = home / MODELS_DIR
    for path in models.glob(".*") if models.is_dir() else []:
        parts = path.name.split(".")  # ["", label, pid, random]
        if len(parts) >= 4 and parts[-2].isdigit() and not _alive(int(parts[-2])):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
            removed.append(f"{MODELS_DIR}/{path.name}")
    return removed


def _finish_journal(home: Path) -> str | None:
    """Complete a journal a crash left: history line (once), manifest, journal removed."""
    journal = home / JOURNAL_FILE
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        entry = _parse_entry(data["model_type"], data["manifest"]["models"][data["model_type"]])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, DeploymentError):
        journal.unlink()  # torn before it was complete: the deploy never happened
        return None
    if _last_history_line(home) != history_line(entry):
        append_history(home, entry)
    write_atomic(
        home / DEPLOYMENT_FILE,
        manifest_bytes({t: _parse_entry(t, e) for t, e in data["manifest"]["models"].items()}),
    )
    journal.unlink()
    return entry.artifact_path


def recover(home: Path) -> list[str]:
    """Finish an interrupted write and clean stale files (holding the lock); what it did."""
    done = []
    if finished := _finish_journal(home):
        done.append(f"finished the interrupted deploy of {finished}")
    if removed := clean_stale(home):
        done.append(f"removed {len(removed)} stale temporary file(s)")
    return done


def record(home: Path, new: Deployment) -> str:
    """Make `new` the deployment of its model type: locked, journalled, crash-consistent.

    Returns one sentence. Same artifact already deployed, or a newer workflow run (higher
    `sequence`) already recorded: nothing changes. Raises DeploymentError (nothing changed)
    when the manifest is unreadable or the history cannot be appended.
    """
    with locked(home):
        recover(home)
        current = read_deployments(home)
        old = current.get(new.model_type)
        if old is not None and old.artifact_path == new.artifact_path:
            return f"{new.artifact_path} is already deployed; nothing changed."
        if old is not None and new.sequence and old.sequence > new.sequence:
            return (
                f"a newer deploy (run {old.sequence}: {old.artifact_path}) is already recorded; "
                f"{new.artifact_path} (run {new.sequence}) changed nothing."
            )
        models = {t: d.to_dict() for t, d in {**current, new.model_type: new}.items()}
        journal = {"model_type": new.model_type, "manifest": {"schema": SCHEMA, "models": models}}
        write_atomic(home / JOURNAL_FILE, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
        try:
            append_history(home, new)
        except OSError as err:
            (home / JOURNAL_FILE).unlink(missing_ok=True)
            raise DeploymentError(
                f"could not append to {HISTORY_FILE} ({err}); nothing deployed."
            ) from None
        write_atomic(home / DEPLOYMENT_FILE, manifest_bytes({**current, new.model_type: new}))
        (home / JOURNAL_FILE).unlink()
    return f"deployed {new.artifact_path}"
