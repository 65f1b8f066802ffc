"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package cls-train pytest packages/cls-train/tests/test_train.py
"""

from __future__ import annotations

import pytest
import torch
from cls_train import train as train_module
from cls_train.config import Config, smoke_config
from cls_train.train import train
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.pending import pending_actions

METRIC_KEYS = {"train/loss", "train/acc", "val/loss", "val/acc", "epoch"}


def test_smoke_run_records_the_task_metrics_every_epoch(smoke_run):
    run = smoke_run.recorded
    assert run.history_keys >= METRIC_KEYS
    assert run.metric("epoch") == [1, 2]
    assert len(run.metric("val/acc")) == 2
    assert run.project == "wandb-e2e-demo-image-classification"
    assert run.config["optimizer"] == "adamw" and run.config["smoke"] is True
    assert run.exit_code == 0


def test_smoke_training_learns(smoke_run):
    accuracy = smoke_run.recorded.metric("val/acc")[-1]
    assert accuracy > 0.5, f"val/acc {accuracy} is not clearly above chance (0.1)"
    losses = smoke_run.recorded.metric("train/loss")
    assert losses[-1] < losses[0]


def test_model_artifact_holds_weights_and_card(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("resnet18-synthetic-cifar10", type="model")
    assert {"model.pth", "model_card.json"} <= set(artifact.files)
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert card.model_type == "classification"
    assert len(card.class_names) == 10
    assert card.input_size == [32, 32]
    assert card.metrics["val/acc"] == round(run.metric("val/acc")[-1], 4)
    assert card.run_path.endswith(run.run_id)
    state = torch.load(artifact.files["model.pth"], weights_only=True)
    assert state["fc.weight"].shape == (10, 512)


def test_dataset_artifact_versions_the_generated_data(smoke_run):
    artifact = smoke_run.recorded.artifact("synthetic-cifar10", type="dataset")
    assert artifact.metadata["train_size"] == 1024
    assert len(artifact.metadata["class_names"]) == 10
    (data_file,) = artifact.files.values()
    data = torch.load(data_file, weights_only=True)
    assert data["train"][0].shape == (1024, 3, 32, 32)


def test_sample_and_prediction_tables(smoke_run):
    run = smoke_run.recorded
    samples = run.table("dataset/samples")
    assert samples["columns"] == ["image", "label"]
    assert len(samples["data"]) == 20
    assert samples["data"][0][0]["_type"] == "image-file"
    predictions = run.table("val/predictions")
    assert predictions["columns"] == ["image", "truth", "prediction", "confidence", "correct"]
    assert len(predictions["data"]) == 32  # bounded by val_table_size
    assert all(0.0 <= row[3] <= 1.0 for row in predictions["data"])
    assert run.table("val/confusion_matrix_table")["columns"] == [
        "Actual",
        "Predicted",
        "nPredictions",
    ]


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/cifar10-classifier-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "resnet18-synthetic-cifar10"


def test_a_crash_inside_the_run_marks_it_failed(offline_wandb, tmp_path, monkeypatch):
    """`with start_run(...) as run`: an exception finishes the run with exit code 1 (failed)."""

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(train_module, "train_one_epoch", out_of_memory)
    cfg = smoke_config(Config(output_dir=tmp_path / "out", max_train_samples=64, epochs=1))
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        train(cfg)
    (run_dir,) = find_run_dirs(offline_wandb)
    assert read_run(run_dir).exit_code == 1
