"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package seg-train pytest packages/seg-train/tests/test_train.py
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from seg_train import train as train_module
from seg_train.config import Config, smoke_config
from seg_train.data import CLASS_MAPPINGS, to_classes
from seg_train.train import build_scheduler, train
from torchmetrics.classification import MulticlassJaccardIndex
from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.pending import pending_actions

CLASS_NAMES = ["pet", "background", "border"]
METRIC_KEYS = {
    "train/loss", "val/loss", "val/mean_iou", "val/pixel_acc", "val/dice", "epoch",
    *(f"val/iou/{name}" for name in CLASS_NAMES),
}  # fmt: skip


def val_masks(run) -> torch.Tensor:
    """The validation masks exactly as the run versioned them in its dataset artifact."""
    artifact = run.artifact("synthetic-pets", type="dataset")
    raw = torch.load(artifact.files["test.pt"], weights_only=True)
    return to_classes(raw["images"], raw["trimaps"], CLASS_MAPPINGS["trimap"]).masks


def test_smoke_run_records_the_task_metrics_every_epoch(smoke_run):
    run = smoke_run.recorded
    assert run.history_keys >= METRIC_KEYS
    assert run.metric("epoch") == [1, 2]
    assert len(run.metric("val/mean_iou")) == 2
    assert run.project == "wandb-e2e-demo-image-segmentation"
    assert run.config["class_mapping"] == "trimap" and run.config["smoke"] is True
    assert run.exit_code == 0
    for key in METRIC_KEYS - {"epoch", "train/loss", "val/loss"}:
        assert all(0.0 <= v <= 1.0 for v in run.metric(key)), key


def test_smoke_training_beats_a_constant_prediction(smoke_run):
    """Predicting the most frequent class everywhere is the floor a working model must clear."""
    run = smoke_run.recorded
    masks = val_masks(run)
    majority = torch.bincount(masks.flatten().long()).argmax()
    constant = MulticlassJaccardIndex(3, average="macro")(torch.full_like(masks, majority), masks)
    mean_iou = run.metric("val/mean_iou")[-1]
    assert mean_iou > constant.item() + 0.05, f"val/mean_iou {mean_iou} vs constant {constant}"
    assert run.metric("val/iou/pet")[-1] > 0.1  # it finds pets, not only background
    losses = run.metric("train/loss")
    assert losses[-1] < losses[0]


def test_validation_images_carry_both_mask_layers_every_epoch(smoke_run):
    run = smoke_run.recorded
    logged = run.media("val/examples")
    assert len(logged) == 2  # one list of images per epoch
    truth = val_masks(run)
    for images in logged:
        assert images["_type"] == "images/separated" and images["count"] == 4
        for index, layers in enumerate(images["all_masks"]):
            assert set(layers) == {"predictions", "ground_truth"}
            gt = np.asarray(Image.open(run.file(layers["ground_truth"]["path"])))
            assert (gt == truth[index].numpy()).all()  # the same pixels, not a resized copy
            pred = np.asarray(Image.open(run.file(layers["predictions"]["path"])))
            assert pred.shape == gt.shape and set(np.unique(pred)) <= {0, 1, 2}


def test_sample_and_prediction_tables(smoke_run):
    run = smoke_run.recorded
    samples = run.table("dataset/samples")
    assert samples["columns"] == [
        "image",
        "mask_overlay",
        "pet_fraction",
        "background_fraction",
        "border_fraction",
    ]
    assert len(samples["data"]) == 8
    for row in samples["data"]:
        assert set(row[1]["masks"]) == {"ground_truth"}
        assert abs(sum(row[2:]) - 1.0) < 1e-3
    predictions = run.table("val/predictions")
    assert predictions["columns"] == ["image", "ground_truth", "prediction", "iou", "pixel_acc"]
    assert len(predictions["data"]) == 16  # bounded by val_table_size
    for row in predictions["data"]:
        assert set(row[1]["masks"]) == {"ground_truth"}
        assert set(row[2]["masks"]) == {"predictions"}
        assert 0.0 <= row[3] <= 1.0 and 0.0 <= row[4] <= 1.0


def test_model_artifact_holds_weights_and_card_the_viewer_can_load(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("deeplabv3-mobilenet-v3-synthetic-pets", type="model")
    assert {"model.pth", "model_card.json"} <= set(artifact.files)
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert card.model_type == "segmentation"
    assert card.architecture == "deeplabv3_mobilenet_v3_large"
    assert card.class_names == CLASS_NAMES
    assert card.input_size == [48, 48]
    assert card.normalization["mean"] == [0.485, 0.456, 0.406]
    assert card.extra["trimap_to_class"] == {"1": 0, "2": 1, "3": 2}
    assert card.metrics["val/mean_iou"] == round(run.metric("val/mean_iou")[-1], 4)
    assert card.run_path.endswith(run.run_id)
    # What the viewer does with the card alone:
    model = deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=len(card.class_names), aux_loss=False
    )
    model.load_state_dict(torch.load(artifact.files["model.pth"], weights_only=True), strict=True)
    out = model.eval()(torch.zeros(1, 3, *card.input_size))["out"]
    assert out.shape == (1, 3, 48, 48)


def test_dataset_artifact_versions_the_generated_data(smoke_run):
    artifact = smoke_run.recorded.artifact("synthetic-pets", type="dataset")
    assert artifact.metadata["class_names"] == CLASS_NAMES
    assert artifact.metadata["trimap_to_class"] == {"1": 0, "2": 1, "3": 2}
    assert artifact.metadata["train_size"] == 128
    data = torch.load(artifact.files["trainval.pt"], weights_only=True)
    assert data["images"].shape == (128, 3, 48, 48)
    assert set(data["trimaps"].unique().tolist()) == {1, 2, 3}  # raw Oxford-style values


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/pet-segmenter-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "deeplabv3-mobilenet-v3-synthetic-pets"


def test_resumed_schedule_continues_the_curve_stretched_to_the_new_epochs():
    """Resuming at epoch 2 of 3 gives the lr a fresh 3-epoch schedule has after epoch 1."""
    cfg = Config(epochs=3, lr=1e-2)
    params = [torch.nn.Parameter(torch.zeros(1))]
    fresh_optimizer = torch.optim.AdamW(params, lr=cfg.lr)
    fresh = build_scheduler(cfg, fresh_optimizer, steps_per_epoch=4)
    for _ in range(4):
        fresh_optimizer.step()
        fresh.step()
    resumed_optimizer = torch.optim.AdamW(params, lr=cfg.lr)
    resumed_optimizer.load_state_dict(fresh_optimizer.state_dict())  # as a checkpoint restores it
    build_scheduler(cfg, resumed_optimizer, steps_per_epoch=4, start_epoch=2)
    assert resumed_optimizer.param_groups[0]["lr"] == pytest.approx(
        fresh_optimizer.param_groups[0]["lr"]
    )


def test_a_crash_inside_the_run_marks_it_failed(offline_wandb, tmp_path, monkeypatch):
    """`with start_run(...) as run`: an exception finishes the run with exit code 1 (failed)."""

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(train_module, "train_one_epoch", out_of_memory)
    cfg = smoke_config(Config(output_dir=tmp_path / "out", max_train_samples=16, epochs=1))
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        train(cfg)
    (run_dir,) = find_run_dirs(offline_wandb)
    assert read_run(run_dir).exit_code == 1
