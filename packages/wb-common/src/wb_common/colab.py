"""Google Colab, when the code runs there: secrets, the login prompt, and showing a local server.

Everything here is a no-op (or None) outside Colab, so the CLI and the tests behave as before.
Colab is detected by `google.colab` being imported — Colab's kernel imports it at start — never
by importing it ourselves (that package exists only on Colab).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable


def on_colab() -> bool:
    """True inside a Colab kernel."""
    return "google.colab" in sys.modules


def colab_secret(name: str) -> str | None:
    """A secret from Colab's `userdata` (🔑 panel); None outside Colab or when not granted."""
    if not on_colab():
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]

        return userdata.get(name) or None
    except Exception:  # SecretNotFoundError, NotebookAccessError, ... all mean "no value here"
        return None


def secret_or_env(name: str) -> str | None:
    """A setting from the Colab secret `name` when there is one, else the environment variable."""
    return colab_secret(name) or os.environ.get(name) or None


ASK_FOR_KEY = (
    "[wb-demo] W&B API 키를 찾지 못했습니다. 이 run은 발표가 끝나면 사라질 Colab 런타임이 아니라 "
    "W&B 서버에 기록되어야 합니다.\n"
    "  · 다음부터 묻지 않게 하려면: 왼쪽 🔑(보안 비밀) 패널에 이름 WANDB_API_KEY로 키를 저장하고, "
    "그 줄의 '노트북 액세스' 스위치를 켜세요. "
    "스위치가 꺼져 있으면 이 노트북은 키를 읽지 못합니다.\n"
    "  · 지금은 https://wandb.ai/authorize 에서 키를 복사해 아래 입력 창에 붙여 넣으세요.\n"
    "  (No W&B API key: store it as the Colab secret WANDB_API_KEY with 'Notebook access' on, "
    "or paste it below.)"
)
NO_KEY = (
    "W&B API 키가 없어 여기서 멈춥니다: Colab 보안 비밀 WANDB_API_KEY를 저장하고 '노트북 액세스'를 "
    "켠 뒤 이 셀을 다시 실행하세요 (키 없이 보려면 WB_DEMO_SMOKE=1 스모크 모드). "
    "No W&B API key: add the Colab secret WANDB_API_KEY with notebook access on and rerun."
)


class LoginRequired(SystemExit):
    """A live Colab run with no W&B key. A SystemExit, so Colab shows the one sentence only."""


def ask_for_key(prompt: Callable[[str], str] | None = None) -> str:
    """Ask for the W&B API key with a hidden prompt; stop with `NO_KEY` when none is given.

    The key goes into WANDB_API_KEY for this runtime only (never into the notebook).
    """
    print(ASK_FOR_KEY)
    try:
        key = (prompt or getpass.getpass)("W&B API 키 (API key): ").strip()
    except (EOFError, OSError):  # no stdin: an executed notebook, a closed prompt
        key = ""
    if not key:
        raise LoginRequired(NO_KEY)
    os.environ["WANDB_API_KEY"] = key
    return key


def show_port(port: int, *, height: int = 720, path: str = "/") -> bool:
    """Show a server running inside this Colab runtime (e.g. the viewer) in the output cell.

    On Colab `127.0.0.1` is the runtime, not the audience's browser: Colab proxies the port into
    an iframe. Returns False outside Colab (there the URL itself works).
    """
    if not on_colab():
        return False
    from google.colab import output  # type: ignore[import-not-found]

    output.serve_kernel_port_as_iframe(port, path=path, height=height)
    return True
