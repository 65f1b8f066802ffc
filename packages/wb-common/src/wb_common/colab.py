"""Google Colab, when the code runs there: secrets, the login prompt, and showing a local server.

Everything here is a no-op (or None) outside Colab, so the CLI and the tests behave as before.
Colab is detected by `google.colab` being imported — Colab's kernel imports it at start — never
by importing it ourselves (that package exists only on Colab).
"""

from __future__ import annotations

import getpass
import os
import sys
import urllib.error
import urllib.request
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


class NotebookStop(Exception):
    """Stops "Run all" at this cell with its sentence only: IPython shows `_render_traceback_`
    in place of the stack (a SystemExit would add IPython's "To exit: use 'exit'" warning)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


class LoginRequired(NotebookStop):
    """A live Colab run with no W&B key: the cell stops with `NO_KEY` only."""


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


WRONG_KEY = (
    "W&B 서버가 이 API 키를 거부해 여기서 멈춥니다: "
    "https://wandb.ai/authorize 에서 키를 다시 복사해 Colab 보안 비밀(또는 환경 변수) "
    "WANDB_API_KEY에 넣고 이 셀을 다시 실행하세요 "
    "(사내 W&B 서버라면 WANDB_BASE_URL의 서버에서 받은 키). "
    "W&B rejected the API key: copy it again from https://wandb.ai/authorize into WANDB_API_KEY "
    "and rerun this cell."
)


def offline_notice(why: str, server: str | None = None) -> str:
    """One sentence for a W&B server that did not answer: the notebook goes on offline."""
    server = server or os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai"
    return (
        f"W&B 서버({server})에 닿지 않아({why}) 오프라인으로 계속 기록합니다: 네트워크(Wi-Fi)와 "
        "WANDB_BASE_URL을 확인하고, 연결되면 `wandb sync`로 올리세요. "
        f"W&B server unreachable ({why}): recording offline; upload later with `wandb sync`."
    )


def server_unreachable(url: str | None = None, timeout: float = 5.0) -> str | None:
    """Why the W&B server cannot be reached within `timeout` seconds; None when it answers.

    Any HTTP answer, even an error status, counts as reachable: a wrong key is another problem,
    which `wandb.login(verify=True)` reports. urllib honours HTTP(S)_PROXY as wandb does.
    """
    url = url or os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai"
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as err:  # refused, DNS, TLS
        return str(err.reason)
    except (OSError, ValueError) as err:  # a timeout, a malformed URL
        return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return None


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
