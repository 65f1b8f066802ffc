"""Login on stage: a live Colab run takes the secret, else asks, else stops with one sentence.

A fake `google.colab` module stands in for Colab (its `userdata.get` and
`output.serve_kernel_port_as_iframe`, as the Colab runtime provides them).

uv run --package wb-common pytest packages/wb-common/tests/test_colab.py
"""

from __future__ import annotations

import socket
import sys
import types
import warnings

import pytest
from wb_common import colab
from wb_common.colab import LoginRequired
from wb_common.run import resolve_mode, start_run
from wb_testing.api_doubles import key_rejecting_server


class SecretNotFoundError(Exception):
    pass


@pytest.fixture
def fake_colab(monkeypatch, tmp_path):
    """`google.colab` with the secrets in `secrets` and the served ports in `served`."""
    secrets: dict[str, str] = {}
    served: list[tuple[int, str, int]] = []

    def get(name):
        if name not in secrets:
            raise SecretNotFoundError(name)
        return secrets[name]

    google = types.ModuleType("google")
    module = types.ModuleType("google.colab")
    module.userdata = types.SimpleNamespace(get=get)
    module.output = types.SimpleNamespace(
        serve_kernel_port_as_iframe=lambda port, path="/", height="420": served.append(
            (port, path, height)
        )
    )
    google.colab = module
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    for name in ("WANDB_API_KEY", "WANDB_MODE", "WB_DEMO_SMOKE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    return types.SimpleNamespace(secrets=secrets, served=served)


def no_prompt(_):
    raise AssertionError("must not prompt")


def test_a_colab_secret_logs_in_without_a_prompt(fake_colab, monkeypatch):
    fake_colab.secrets["WANDB_API_KEY"] = "k" * 40
    monkeypatch.setattr("getpass.getpass", no_prompt)
    assert resolve_mode() == "online"
    import os

    assert os.environ["WANDB_API_KEY"] == "k" * 40


def test_without_a_secret_a_live_run_asks_and_explains_the_toggle(fake_colab, monkeypatch, capsys):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "  pasted-key  ")
    assert resolve_mode() == "online"
    out = capsys.readouterr().out
    assert "노트북 액세스" in out and "WANDB_API_KEY" in out  # how to never be asked again
    import os

    assert os.environ["WANDB_API_KEY"] == "pasted-key"


@pytest.mark.parametrize("answer", ["", EOFError])
def test_no_key_at_the_prompt_stops_with_one_korean_sentence(fake_colab, monkeypatch, answer):
    def prompt(_):
        if answer is EOFError:
            raise EOFError
        return answer

    monkeypatch.setattr("getpass.getpass", prompt)
    with pytest.raises(LoginRequired) as stopped:
        resolve_mode()
    message = str(stopped.value)
    assert message.startswith("W&B API 키가 없어 여기서 멈춥니다") and "No W&B API key" in message
    assert "\n" not in message


def test_start_run_asks_before_recording_a_live_run(fake_colab, monkeypatch, tmp_path):
    """The prompt comes before wandb.init: nothing is recorded offline on a live Colab run."""
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    with pytest.raises(LoginRequired):
        start_run("image-classification", {"smoke": False})
    assert not (tmp_path / "wandb").exists()


@pytest.mark.parametrize("how", ["env", "config", "argument"])
def test_smoke_mode_on_colab_keeps_the_offline_fallback(fake_colab, monkeypatch, how):
    monkeypatch.setattr("getpass.getpass", no_prompt)
    if how == "env":
        monkeypatch.setenv("WB_DEMO_SMOKE", "1")
        assert resolve_mode() == "offline"
    elif how == "argument":
        assert resolve_mode(smoke=True) == "offline"
    else:
        from wb_common.run import _config_dict

        assert resolve_mode(smoke=bool(_config_dict({"smoke": True})["smoke"])) == "offline"


def test_the_local_cli_never_prompts(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for name in ("WANDB_API_KEY", "WANDB_MODE", "WB_DEMO_SMOKE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setattr("getpass.getpass", no_prompt)
    assert resolve_mode() == "offline"


def test_settings_come_from_colab_secrets_before_the_environment(fake_colab, monkeypatch):
    monkeypatch.setenv("VIEWER_URL", "http://env")
    assert colab.secret_or_env("VIEWER_URL") == "http://env"
    fake_colab.secrets["VIEWER_URL"] = "https://viewer.example"
    assert colab.secret_or_env("VIEWER_URL") == "https://viewer.example"
    assert colab.secret_or_env("MISSING") is None


def test_show_port_serves_into_the_output_cell_on_colab_only(fake_colab, monkeypatch):
    assert colab.show_port(8501) is True
    assert fake_colab.served == [(8501, "/", 720)]
    monkeypatch.delitem(sys.modules, "google.colab")
    assert colab.show_port(8501) is False


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_a_server_that_answers_is_reachable_even_with_an_error_status(monkeypatch):
    """Test double: a W&B server answering 401 is reachable; the wrong key is login's business."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with key_rejecting_server() as url:
        assert colab.server_unreachable(url) is None


def test_a_closed_port_is_unreachable_with_the_reason(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    why = colab.server_unreachable(f"http://127.0.0.1:{closed_port()}", timeout=2)
    assert why and "refused" in why.lower()
    assert colab.server_unreachable("not a url") is not None


def test_the_offline_notice_is_korean_first_and_says_how_to_upload(monkeypatch):
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    notice = colab.offline_notice("Connection refused")
    assert notice.startswith("W&B 서버(http://127.0.0.1:9)에 닿지 않아")
    assert "wandb sync" in notice and "오프라인" in notice
    assert colab.WRONG_KEY.startswith("W&B 서버가 이 API 키를 거부해")
    assert "https://wandb.ai/authorize" in colab.WRONG_KEY


def test_notebook_stop_renders_its_sentence_in_place_of_a_traceback():
    assert colab.NotebookStop(colab.WRONG_KEY)._render_traceback_() == [colab.WRONG_KEY]


def test_no_key_stops_a_real_ipython_cell_with_the_sentence_only(fake_colab, monkeypatch, capsys):
    """In IPython's own shell (Colab's kernel runs it): the cell stops "Run all" and shows the
    prompt's text and NO_KEY, with no "SystemExit" block and no "To exit: use 'exit'" warning."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    shell = InteractiveShell.instance()
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            result = shell.run_cell("from wb_common.run import resolve_mode\nresolve_mode()")
    finally:
        InteractiveShell.clear_instance()
    shown = capsys.readouterr()
    assert isinstance(result.error_in_exec, LoginRequired)  # the cell failed: "Run all" stops here
    assert shown.out.rstrip().endswith(colab.NO_KEY)
    assert "SystemExit" not in shown.out + shown.err and "Traceback" not in shown.out + shown.err
    assert not [w for w in warned if "To exit" in str(w.message)]
