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
