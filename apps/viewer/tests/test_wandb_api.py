"""The W&B server calls (viewer.wandb_api), against a test double of wandb.Api.

    .venv/bin/python -m pytest apps/viewer/tests/test_wandb_api.py -q -p no:logging

The W&B server is unreachable here; each test below uses FakeApi (tests/conftest.py), a test
double with the wandb 0.31 methods the viewer calls: Api.artifact(name, type=),
Api.artifacts(type_name=, name=), Artifact.download(root=), .logged_by(), Run.summary_metrics,
.config, .used_artifacts(), .files(), File.download(root=, replace=, exist_ok=).
"""

from __future__ import annotations

import pytest
from viewer import wandb_api

PATH = "demo-team/wandb-registry-model/cifar10-classifier:v3"


def test_connect_without_a_key_never_prompts(viewer_home):
    """No test double needed: without a key, connect() returns None before touching wandb.Api."""
    assert wandb_api.connect() is None


def test_model_info_reads_the_producing_run(fake_api_for):
    """Uses a test double of wandb.Api."""
    info = wandb_api.model_info(fake_api_for("classification"), PATH)
    assert info["metrics"] == {"val/acc": 0.91, "val/loss": 0.3, "epoch": 3.0}  # no _step
    assert info["config"] == {"lr": 0.003, "optimizer": "adamw"}  # no _wandb
    assert info["run"]["path"] == "demo-team/wandb-e2e-demo-image-classification/abc123"
    assert info["datasets"] == [
        "demo-team/wandb-e2e-demo-image-classification/synthetic-cifar10:v0"
    ]
    assert info["aliases"] == ["production"]


def test_model_info_without_a_run_still_describes_the_artifact(fake_api_for):
    """Uses a test double of wandb.Api whose artifact has no producing run."""
    api = fake_api_for("classification")
    api.artifact(PATH).run = None
    info = wandb_api.model_info(api, PATH)
    assert info["run"] is None and info["metrics"] == {} and info["artifact"] == PATH


def test_registry_versions_newest_first_with_card_metrics(fake_api_for):
    """Uses a test double of wandb.Api with versions v2, v10 and v9."""
    api = fake_api_for("classification", versions=("v2", "v10", "v9"), production="v9")
    rows = wandb_api.registry_versions(api, "demo-team", "cifar10-classifier")
    assert [r["version"] for r in rows] == ["v10", "v9", "v2"]  # numeric, not string, order
    assert rows[1]["aliases"] == "production" and rows[1]["val/acc"] == pytest.approx(0.09)
    assert ("artifacts", "model", "demo-team/wandb-registry-model/cifar10-classifier") in api.calls


def test_download_checks_the_alias_first(fake_api_for, tmp_path):
    """Uses a test double of wandb.Api: production sits on v3, not v2."""
    api = fake_api_for("classification", versions=("v2", "v3"), production="v3")
    result = wandb_api.download_artifact(api, PATH, "production", tmp_path / "ok")
    assert result["version"] == "v3" and (tmp_path / "ok" / "model_card.json").is_file()
    with pytest.raises(wandb_api.ServerError, match="no longer has the alias"):
        wandb_api.download_artifact(api, PATH.replace("v3", "v2"), "production", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_sample_generations_are_the_runs_last_logged_images(fake_api_for, tmp_path):
    """Uses a test double of wandb.Api whose run logged three images and a table."""
    api = fake_api_for("classification")
    api.artifact(PATH).run.media = {
        "media/images/samples_1_a.png": b"1",
        "media/table/val_2.table.json": b"{}",
        "media/images/samples_2_b.png": b"2",
        "media/images/samples_3_c.png": b"3",
    }
    paths = wandb_api.sample_generations(api, PATH, tmp_path, limit=2)
    assert [p.name for p in paths] == ["samples_2_b.png", "samples_3_c.png"]
    assert all(p.read_bytes() in (b"2", b"3") for p in paths)
