"""`wb-demo automation test --repo OWNER/REPO` against a local HTTP server standing in for GitHub.

uv run --package wb-common pytest packages/wb-common/tests/test_automation_test.py

The server listens on 127.0.0.1 and answers like GitHub's `POST /repos/{owner}/{repo}/dispatches`
(204 No Content, or 401/404); it records what it received, so the test checks the exact body the
W&B Automation would send and that the token travels only in the Authorization header.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wb_common.cli import Automation, automation_test_command
from wb_common.payload import DISPATCH_EVENT_TYPE, FIELDS

TOKEN = "github_pat_test_0123456789"


@pytest.fixture
def github():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
            elif self.path != "/repos/acme/wandb-e2e-demo/dispatches":
                self.send_response(404)
            else:
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def _args(url: str, repo: str = "acme/wandb-e2e-demo", version: str = "v3") -> Automation:
    return Automation(action="test", entity="acme", collection="cifar10-classifier", repo=repo,
                      version=version, github_api=url)  # fmt: skip


def test_sends_the_automations_body_to_the_dispatches_endpoint(github, capsys, monkeypatch):
    url, received = github
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert automation_test_command(_args(url), token=TOKEN) == 0
    (request,) = received
    body = json.loads(request["body"])
    assert body["event_type"] == DISPATCH_EVENT_TYPE
    assert set(body["client_payload"]) == set(FIELDS)
    assert body["client_payload"]["artifact_version_string"] == (
        "acme/wandb-registry-model/cifar10-classifier:v3"
    )
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    out = capsys.readouterr().out
    assert "GitHub accepted the dispatch (204)" in out and TOKEN not in out
    # That it passes the deploy's own validation: tests/test_automation_payload.py (the viewer is
    # another member; wb-common's own CI job does not install it).


def test_github_errors_are_one_sentence_without_the_token(github, capsys, monkeypatch):
    url, _ = github
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert automation_test_command(_args(url), token="wrong") == 1
    err = capsys.readouterr().err
    assert "401" in err and "not valid" in err and err.count("\n") == 1
    assert automation_test_command(_args(url, repo="acme/other"), token=TOKEN) == 1
    assert "404" in capsys.readouterr().err
    assert automation_test_command(_args(url, repo="acme/../x"), token=TOKEN) == 1
    assert "OWNER/REPO" in capsys.readouterr().err


def test_without_a_token_says_what_it_needs(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    assert automation_test_command(_args("http://127.0.0.1:9")) == 2
    assert "GITHUB_TOKEN" in capsys.readouterr().err


@pytest.fixture
def redirecting():
    """A server answering every request with 302 to a second server (another port: another
    host as far as the URL goes) that records each request's Authorization header and answers
    204 / 200 — the redirect attack of issue 24."""
    seen: list[dict] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def _record(self):
            seen.append({"method": self.command, "auth": self.headers.get("Authorization")})
            self.send_response(204 if self.command == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(b'{"workflow_runs": []}')

        do_GET = do_POST = _record

        def log_message(self, *args):
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    target = f"http://localhost:{other.server_address[1]}"

    class Redirect(BaseHTTPRequestHandler):
        def _redirect(self):
            self.send_response(302)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _redirect

        def log_message(self, *args):
            pass

    first = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    servers = [first, other]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{first.server_address[1]}", seen
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_refused_and_the_token_never_reaches_the_other_host(
    redirecting, capsys, monkeypatch
):
    """Before: urllib followed the 302 with `Authorization: Bearer <token>` (as a GET) and the
    CLI printed "GitHub accepted the dispatch (204)"."""
    url, seen = redirecting
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert automation_test_command(_args(url), token=TOKEN) == 1
    captured = capsys.readouterr()
    assert seen == []  # nothing at all reached the other host, so neither did the token
    assert "accepted" not in captured.out
    assert "302" in captured.err and "not followed" in captured.err
    assert captured.err.count("\n") == 1 and TOKEN not in captured.err


def test_the_workflow_wait_refuses_a_redirect_too(redirecting, monkeypatch):
    from wb_common.promotion import PromotionError, github_get

    url, seen = redirecting
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with pytest.raises(PromotionError, match="302") as caught:
        github_get(f"{url}/repos/acme/x/actions/runs", TOKEN)
    assert seen == [] and "\n" not in str(caught.value)


def test_only_the_expected_status_is_success(github, capsys, monkeypatch):
    """A server that answers the dispatch with 200 (not GitHub's 204) did not dispatch."""
    from wb_common.promotion import PromotionError, github_get

    url, _ = github
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with pytest.raises(PromotionError, match="501"):  # http.server: no do_GET
        github_get(f"{url}/repos/acme/x/actions/runs", TOKEN)

    class OK(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OK)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = automation_test_command(
            _args(f"http://127.0.0.1:{server.server_address[1]}"), token=TOKEN
        )
    finally:
        server.shutdown()
        server.server_close()
    captured = capsys.readouterr()
    assert code == 1 and "accepted" not in captured.out
    assert "200, not 204" in captured.err and captured.err.count("\n") == 1


@pytest.mark.parametrize(
    "url",
    ["http://api.github.example.com", "http://10.0.0.5:8080", "ftp://api.github.com",
     "file:///etc/passwd", "https://user:pw@github.example.com/api/v3", "api.github.com"],
)  # fmt: skip
def test_anything_but_https_is_refused_before_the_token_is_read(url, capsys, monkeypatch):
    """Before: `--github-api http://...` sent the token in clear text to any host."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert automation_test_command(_args(url)) == 2
    err = capsys.readouterr().err
    assert "https://" in err and err.count("\n") == 1 and TOKEN not in err


def test_https_and_loopback_http_pass_the_url_check():
    from wb_common.github_http import GitHubCallError, check_api_url

    for url in ("https://api.github.com", "https://github.example.com/api/v3",
                "http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:80"):  # fmt: skip
        assert check_api_url(url) == url
    with pytest.raises(GitHubCallError):
        check_api_url("http://127.0.0.1.example.com")
