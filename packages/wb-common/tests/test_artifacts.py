"""Artifacts, the registry link offline, and reading media back from an offline run.

uv run --package wb-common pytest packages/wb-common/tests/test_artifacts.py
"""

from __future__ import annotations

import numpy as np
import pytest
import wandb
from wb_common import (
    ModelCard,
    find_run_dirs,
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
    read_run,
    start_run,
)
from wb_common.pending import pending_actions

CARD = ModelCard(
    model_type="segmentation",
    architecture="tiny",
    weights_file="weights.pth",
    class_names=["pet", "background", "border"],
    input_size=[8, 8],
)


def test_model_artifact_carries_the_card_inside_and_as_metadata(offline_wandb, tmp_path):
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"\x00" * 16)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "a.txt").write_text("a")
    run = start_run("image-segmentation", {})
    log_dataset_artifact(run, "toy-data", path=data_dir, metadata={"size": 1})
    artifact = log_model_artifact(run, "tiny-toy", weights, CARD)
    status = link_to_registry(run, artifact, "pet-segmenter")
    run.finish()

    assert status == "queued"
    recorded = read_run(find_run_dirs(offline_wandb)[0])
    model = recorded.artifact("tiny-toy", type="model")
    assert set(model.files) == {"weights.pth", "model_card.json"}
    assert ModelCard.from_dict(model.read_json("model_card.json")) == CARD
    assert model.metadata == CARD.to_dict()
    assert model.files["weights.pth"].read_bytes() == b"\x00" * 16
    dataset = recorded.artifact("toy-data", type="dataset")
    assert set(dataset.files) == {"a.txt"} and dataset.metadata == {"size": 1}

    (link,) = pending_actions(recorded.path)
    assert link["target"] == "wandb-registry-model/pet-segmenter"
    assert link["aliases"] == ["staging"]
    assert link["digest"] == artifact.digest
    assert link["run_path"].endswith(f"/wandb-e2e-demo-image-segmentation/{recorded.run_id}")


def test_media_with_masks_boxes_and_tables_read_back(offline_wandb):
    labels = {0: "background", 1: "pet"}
    mask = np.zeros((16, 16), dtype=np.uint8)
    mask[4:12, 4:12] = 1
    box = {"position": {"minX": 1, "minY": 2, "maxX": 9, "maxY": 10}, "domain": "pixel",
           "class_id": 1, "scores": {"confidence": 0.9}, "box_caption": "pet 0.90"}  # fmt: skip
    image = wandb.Image(
        np.zeros((16, 16, 3), dtype=np.uint8),
        masks={
            "predictions": {"mask_data": mask, "class_labels": labels},
            "ground_truth": {"mask_data": mask, "class_labels": labels},
        },
        boxes={"predictions": {"box_data": [box], "class_labels": labels}},
    )
    table = wandb.Table(columns=["image", "iou"])
    table.add_data(image, 0.5)
    run = start_run("image-segmentation", {})
    run.log({"val/overlay": image, "val/table": table})
    run.finish()

    recorded = read_run(find_run_dirs(offline_wandb)[0])
    (overlay,) = recorded.media("val/overlay")
    assert overlay["_type"] == "image-file"
    assert set(overlay["masks"]) == {"predictions", "ground_truth"}
    assert recorded.file(overlay["masks"]["predictions"]["path"]).is_file()
    assert set(overlay["boxes"]) == {"predictions"}
    boxes = recorded.file(overlay["boxes"]["predictions"]["path"]).read_text()
    assert "pet 0.90" in boxes
    logged = recorded.table("val/table")
    assert logged["columns"] == ["image", "iou"]
    assert logged["data"][0][1] == 0.5


def test_video_reads_back_as_an_mp4(offline_wandb):
    """wandb.Video encodes through moviepy: wb-common's dev group installs it, so this never skips
    in wb-common's own CI job (a missing moviepy fails here, as it would in a video run)."""
    frames = np.random.default_rng(0).integers(0, 255, (8, 3, 32, 32), dtype=np.uint8)
    run = start_run("video-classification", {})
    run.log({"clip": wandb.Video(frames, fps=4, format="mp4")})
    run.finish()
    recorded = read_run(find_run_dirs(offline_wandb)[0])
    (clip,) = recorded.media("clip")
    assert clip["_type"] == "video-file"
    path = recorded.file(clip["path"])
    assert path.suffix == ".mp4" and path.stat().st_size > 0


def test_reading_a_folder_that_is_not_a_run_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a W&B run folder"):
        read_run(tmp_path)
