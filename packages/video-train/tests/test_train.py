"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package video-train pytest packages/video-train/tests/test_train.py
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torchvision.models.video import r3d_18
from video_train import train as train_module
from video_train.config import Config, smoke_config
from video_train.data import KINETICS_MEAN, KINETICS_STD
from video_train.model import model_card
from video_train.train import train
from video_train.video_io import decode_clip
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.pending import pending_actions
from wb_common.video import UNIFORM, sampling_rule

METRIC_KEYS = {"train/loss", "train/acc", "val/loss", "val/acc", "val/top5_acc", "epoch"}


def test_smoke_run_records_the_task_metrics_every_epoch(smoke_run):
    run = smoke_run.recorded
    assert smoke_run.run_dirs == [smoke_run.result.run_dir]  # one run, nothing else started
    assert run.history_keys >= METRIC_KEYS
    assert run.metric("epoch") == [1, 2]
    assert len(run.metric("val/top5_acc")) == 2
    assert run.project == "wandb-e2e-demo-video-classification"
    assert run.config["num_frames"] == 8 and run.config["smoke"] is True
    assert run.exit_code == 0


def test_smoke_training_learns(smoke_run):
    accuracy = smoke_run.recorded.metric("val/acc")[-1]
    assert accuracy > 0.5, f"val/acc {accuracy} is not clearly above chance (0.25)"
    losses = smoke_run.recorded.metric("train/loss")
    assert losses[-1] < losses[0]


def test_sample_videos_are_real_mp4_clips(smoke_run):
    run = smoke_run.recorded
    (grid,) = run.media("dataset/sample_videos")
    assert grid["_type"] == "video-file" and grid["path"].endswith(".mp4")
    clip = decode_clip(run.file(grid["path"]), num_frames=8, clip_duration=2.0, size=32)
    assert clip.float().std() > 10  # moving shapes, not a blank frame

    samples = run.table("dataset/samples")
    assert samples["columns"] == ["video", "label"]
    assert [row[1] for row in samples["data"]] == ["down", "left", "right", "up"]
    video = samples["data"][0][0]
    assert video["_type"] == "video-file" and (video["width"], video["height"]) == (32, 32)
    mp4 = samples["artifact"].files[video["path"]]
    assert decode_clip(mp4, num_frames=8, clip_duration=1.0, size=32).float().std() > 10


def test_prediction_per_class_and_confusion_tables(smoke_run):
    run = smoke_run.recorded
    predictions = run.table("val/predictions")
    assert predictions["columns"] == ["video", "truth", "prediction", "confidence", "correct"]
    assert len(predictions["data"]) == 8  # bounded by val_table_size
    assert all(row[0]["_type"] == "video-file" for row in predictions["data"])
    assert all(0.0 <= row[3] <= 1.0 for row in predictions["data"])
    assert all(row[4] == (row[1] == row[2]) for row in predictions["data"])

    per_class = run.table("val/per_class_accuracy")
    assert per_class["columns"] == ["class", "accuracy", "clips"]
    assert [row[0] for row in per_class["data"]] == ["down", "left", "right", "up"]
    mean = sum(row[1] * row[2] for row in per_class["data"]) / sum(r[2] for r in per_class["data"])
    assert abs(mean - run.metric("val/acc")[-1]) < 1e-3  # per-class accuracies add up to val/acc

    confusion = run.table("val/confusion_matrix_table")
    assert confusion["columns"] == ["Actual", "Predicted", "nPredictions"]
    assert sum(row[2] for row in confusion["data"]) == 32  # every validation clip counted once


def test_model_artifact_holds_weights_and_card_the_viewer_can_load(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("r3d18-synthetic-motion", type="model")
    assert {"model.pth", "model_card.json"} <= set(artifact.files)
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert (card.model_type, card.architecture, card.weights_file) == (
        "video-classification",
        "r3d_18",
        "model.pth",
    )
    assert card.class_names == ["down", "left", "right", "up"]
    assert card.input_size == [8, 32, 32]  # [T, H, W]
    assert card.normalization == {"mean": list(KINETICS_MEAN), "std": list(KINETICS_STD)}
    assert card.extra["clip_duration"] == 1.0
    assert card.extra["frame_sampling"] == UNIFORM == "uniform over clip_duration"
    assert sampling_rule(card.extra)(1.0, 2, card.extra["clip_duration"]) == [0.25, 0.75]
    assert card.metrics["val/acc"] == round(run.metric("val/acc")[-1], 4)
    assert card.run_path.endswith(run.run_id)
    assert card.dataset_artifact == "synthetic-motion:latest"
    # train() ships exactly the card model_card() builds (the notebook and the viewer use it too).
    assert card == model_card(
        smoke_run.cfg,
        class_names=card.class_names,
        metrics=smoke_run.result.metrics,
        run_path=card.run_path,
    )
    # What the viewer does with the card alone.
    model = r3d_18(weights=None, num_classes=len(card.class_names))
    model.load_state_dict(torch.load(artifact.files["model.pth"], weights_only=True), strict=True)


def test_dataset_artifact_versions_the_mp4_files(smoke_run):
    artifact = smoke_run.recorded.artifact("synthetic-motion", type="dataset")
    assert artifact.metadata["train_size"] == 64 and artifact.metadata["val_size"] == 32
    assert artifact.metadata["clip_shape"] == [8, 3, 32, 32]
    assert len(artifact.files) == 96 and all(p.endswith(".mp4") for p in artifact.files)
    assert "train/up/train_0003.mp4" in artifact.files


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/ucf101-classifier-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "r3d18-synthetic-motion"


class Interrupted(Exception):
    """Stands in for a Colab disconnect in the middle of training."""


def test_a_crash_marks_the_run_failed(offline_wandb, tmp_path, monkeypatch):
    """`with start_run(...)` finishes a run that raised with exit code 1, not left open."""

    def disconnect(*args, **kwargs):
        raise Interrupted

    monkeypatch.setattr(train_module, "train_one_epoch", disconnect)
    cfg = smoke_config(Config(output_dir=tmp_path / "out", data_dir=tmp_path / "data", epochs=1))
    cfg = dataclasses.replace(cfg, max_train_samples=16, sample_table_size=1, val_table_size=1)
    with pytest.raises(Interrupted):
        train(cfg)
    (run_dir,) = find_run_dirs(offline_wandb)
    recorded = read_run(run_dir)
    assert recorded.exit_code == 1
    recorded.artifact("synthetic-motion", type="dataset")  # logged before the crash, kept
