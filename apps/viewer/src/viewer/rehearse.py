"""`viewer-rehearse`: the whole promotion → deploy → serve → rollback chain, locally, in one go.

    uv run --all-packages viewer-rehearse                 # in a temporary folder
    uv run --all-packages viewer-rehearse --workdir /tmp/rehearsal --keep-serving

No W&B account, no GitHub, no network: what the server side would do is stood in for honestly.
1. Train two classifier versions with `cls-train --smoke` (offline W&B runs).
2. Promote v0, then v1: each time, fill the Automation's payload template (wb_common.payload)
   the way W&B fills it and hand it to `viewer-deploy --payload-file`, exactly the command the
   GitHub workflow runs, with the model taken from the offline run instead of a download.
3. Start the viewer (`streamlit run` on the app inside the package, viewer.ui.APP), wait
   until it answers, and render the page to check it serves v1.
4. Roll back with the workflow's manual payload (`python -m viewer.payload manual`) to v0 and
   check the page again.
The training runs through its console script, so this app still imports no task package.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import tyro
from wb_common.entry import argument_errors
from wb_common.payload import example_client_payload
from wb_common.tasks import TASKS

from viewer import deployment as dp
from viewer.payload import MANUAL_EVENT_TYPE, manual_payload
from viewer.ui import APP  # inside the package: a pip-installed viewer has it too

ENTITY = "local"  # the allow-listed entity of a local rehearsal
COLLECTION = TASKS["image-classification"].collection  # the served name of cls-train's models


DESCRIPTION = (
    "`viewer-rehearse`: 승격 → 배포 → 서빙 → 롤백 전 과정을 로컬에서 한 번에 / "
    "the whole promotion → deploy → serve → rollback chain, locally, in one go."
)


class RehearsalError(RuntimeError):
    """A step of the chain failed; the message names the step."""


@dataclass
class Args:
    """승격 → 배포 → 서빙 → 롤백 리허설 / Rehearse promotion → deploy → serve → rollback with two
    smoke-trained classifiers."""

    workdir: Path | None = None  # 작업 폴더 / keep everything here (default: a temporary folder)
    keep_serving: bool = False  # 끝난 뒤에도 뷰어 실행 / leave the viewer running (Ctrl-C stops)


def _bin(name: str) -> str:
    """A console script of this environment (uv puts every member's scripts beside python)."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise RehearsalError(
            f"명령 `{name}`이(가) 설치되어 있지 않으니 먼저 `uv sync --all-packages`를 "
            "실행하세요 — "
            f"`{name}` is not installed: run `uv sync --all-packages` first."
        )
    return found


def _run(step: str, command: list[str], env: dict[str, str]) -> str:
    print(f"[rehearse] {step}: {Path(command[0]).name} {' '.join(command[1:])}")
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RehearsalError(f"리허설 단계가 실패했습니다 — {step} failed: {tail[0]}")
    return proc.stdout


def webhook_payload(version: str) -> dict[str, str]:
    """The automation's template with its `${...}` variables filled as W&B fills them."""
    return example_client_payload(ENTITY, COLLECTION, version, author="rehearsal")


def train_version(index: int, workdir: Path, env: dict[str, str]) -> Path:
    """One smoke-trained classifier; returns its offline W&B run folder."""
    out = workdir / f"train-v{index}"
    before = set((workdir / "wandb").glob("offline-run-*"))
    # --overwrite: a rehearsal run again in the same --workdir trains its versions afresh
    _run(f"train v{index}", [_bin("cls-train"), "--smoke", "--epochs", "1",
                            "--max-train-samples", "256", "--seed", str(index),
                            "--output-dir", str(out), "--overwrite"], env)  # fmt: skip
    (run_dir,) = set((workdir / "wandb").glob("offline-run-*")) - before
    return run_dir


def deploy(step: str, payload: dict, run_dir: Path, home: Path, env: dict[str, str]) -> str:
    payload_file = home.parent / f"payload-{step.replace(' ', '-')}.json"
    payload_file.write_text(json.dumps(payload), encoding="utf-8")
    manual = ["--manual"] if payload.get("event_type") == MANUAL_EVENT_TYPE else []  # rollback
    return _run(step, [_bin("viewer-deploy"), "--payload-file", str(payload_file),
                       "--offline-run", str(run_dir), "--allowed-entity", ENTITY,
                       "--home", str(home), *manual], env).strip()  # fmt: skip


def served_version(home: Path) -> str:
    """Render the app as a browser session would and read the version it shows."""
    from streamlit.testing.v1 import AppTest

    previous = os.environ.get(dp.HOME_ENV)
    os.environ[dp.HOME_ENV] = str(home)  # the app reads its folder from here
    # AppTest runs the script on this thread, which Streamlit warns has no ScriptRunContext
    # ("can be ignored when running in bare mode"): in notebook 07 that line looked like a fault.
    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = context_log.level
    context_log.setLevel(logging.ERROR)
    try:
        page = AppTest.from_file(str(APP), default_timeout=120).run()
    finally:
        context_log.setLevel(level)
        if previous is None:
            del os.environ[dp.HOME_ENV]
        else:
            os.environ[dp.HOME_ENV] = previous
    if page.exception:
        raise RehearsalError(
            f"뷰어에서 오류가 났습니다 — the viewer raised {page.exception[0].value}"
        )
    metrics = {m.label: m.value for m in page.metric}
    return metrics.get("버전 · Version", "")


def _tail(log: Path, lines: int = 12) -> str:
    """The end of Streamlit's own output: its error says why it stopped (a port, an import)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def start_viewer(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`streamlit run` the packaged app on a free local port; returns (process, URL).

    Streamlit's stdout and stderr go to a log file: when it stops before answering, the error
    carries the log's last lines, so the user reads Streamlit's own message.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    fd, log_name = tempfile.mkstemp(prefix="viewer-streamlit-", suffix=".log")
    log = Path(log_name)
    with os.fdopen(fd, "wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1",
             "--browser.gatherUsageStats=false", "--client.toolbarMode=viewer"],
            env={**env, dp.HOME_ENV: str(home)}, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RehearsalError(
                f"뷰어가 응답 전에 종료되었습니다 — the viewer exited with code "
                f"{server.returncode}; Streamlit said "
                f"(full log: {log}):\n{_tail(log)}"
            )
        try:
            if opener.open(f"{url}/_stcore/health", timeout=2).status == 200:
                return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RehearsalError(
        f"뷰어가 90초 안에 {url}에서 응답하지 않았습니다 — the viewer did not answer on {url} "
        f"within 90 s; log: {log}"
    )


def rehearse(workdir: Path, keep_serving: bool = False) -> list[str]:
    """Run the chain; returns the versions the viewer served after each step."""
    home = workdir / "viewer"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(workdir), "WANDB_SILENT": "true"}
    runs = [train_version(i, workdir, env) for i in (0, 1)]
    served = []
    for index, run_dir in enumerate(runs):
        deploy(f"promote v{index}", webhook_payload(f"v{index}"), run_dir, home, env)
    server, url = start_viewer(home, env)
    try:
        served.append(served_version(home))
        print(f"[rehearse] 뷰어가 {COLLECTION}:{served[-1]}을(를) 서빙합니다 — the viewer at "
              f"{url} serves {COLLECTION}:{served[-1]}")  # fmt: skip
        rollback = manual_payload(
            {"COLLECTION": COLLECTION, "VERSION": "v0", "ENTITY": ENTITY, "ACTOR": "rehearsal"}
        )
        deploy("roll back to v0", rollback, runs[0], home, env)
        served.append(served_version(home))
        print(f"[rehearse] 롤백 뒤 {COLLECTION}:{served[-1]}을(를) 서빙합니다 — after the "
              f"rollback it serves {COLLECTION}:{served[-1]}")  # fmt: skip
        if served != ["v1", "v0"]:
            raise RehearsalError(
                f"뷰어가 기대한 버전을 서빙하지 않았습니다 — the viewer served {served}, "
                "expected ['v1', 'v0']"
            )
        if keep_serving:
            print(f"[rehearse] {url}에서 서빙 중입니다(Ctrl-C로 멈춤) — serving at {url}")
            server.wait()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return served


def main(argv: list[str] | None = None) -> int:
    with argument_errors("viewer-rehearse"):  # a typo is one sentence, not tyro's English box
        args = tyro.cli(Args, args=argv, prog="viewer-rehearse", description=DESCRIPTION)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wb-demo-rehearsal-"))
    try:
        rehearse(workdir, args.keep_serving)
    except RehearsalError as err:
        print(f"viewer-rehearse: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(
        f"[rehearse] 승격 → 배포 → 서빙 → 롤백이 모두 동작했습니다({workdir}) — promotion → "
        f"deploy → serve → rollback all worked; files in {workdir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
