"""The local rehearsal of the whole chain runs end to end: train two versions, promote through
the webhook's payload path, serve, roll back.

    uv run --all-packages pytest tests/test_rehearsal.py
"""

from __future__ import annotations

import json

from viewer import deployment as dp
from viewer.rehearse import main, rehearse, webhook_payload
from wb_common.payload import FIELDS
from wb_testing.fixtures import isolate_wandb


def test_rehearsal_promotes_serves_and_rolls_back(tmp_path, monkeypatch, capsys):
    isolate_wandb(monkeypatch, tmp_path / "sandbox")
    assert rehearse(tmp_path / "work") == ["v1", "v0"]
    home = tmp_path / "work" / "viewer"
    served = json.loads((home / dp.DEPLOYMENT_FILE).read_text())
    assert served["models"]["classification"]["version"] == "v0"
    history = [entry["version"] for entry in dp.read_history(home)]
    assert history == ["v0", "v1", "v0"]
    assert "serves cifar10-classifier:v1" in capsys.readouterr().out


def test_the_webhook_payload_fills_every_template_field():
    payload = webhook_payload("v7")
    assert set(payload) == set(FIELDS)
    assert not any("${" in value for value in payload.values())
    assert payload["artifact_version_string"].endswith("cifar10-classifier:v7")


def test_a_failing_step_is_one_sentence(tmp_path, monkeypatch, capsys):
    isolate_wandb(monkeypatch, tmp_path / "sandbox")
    monkeypatch.setattr("viewer.rehearse._bin", lambda name: "/bin/false")
    assert main(["--workdir", str(tmp_path / "work")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("viewer-rehearse: 리허설 단계가 실패했습니다 — train v0 failed")
    assert err.count("\n") == 1
