"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package det-train pytest packages/det-train/tests/test_train.py
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from det_train.checkpoint import METRIC_KEYS
from det_train.config import Config, smoke_config
from det_train.model import model_card
from det_train.train import train
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.checkpoint import ResumeError, load_run_id
from wb_common.pending import pending_actions

SETTINGS_BEFORE = "ultralytics-settings-before.json"  # conftest.keep_ultralytics_settings
OUR_KEYS = set(METRIC_KEYS) | {"epoch"}
ULTRALYTICS_KEYS = {
    "train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss",
    "metrics/mAP50(B)", "metrics/mAP50-95(B)", "metrics/precision(B)", "metrics/recall(B)",
    "lr/pg0",
}  # fmt: skip


def test_one_run_holds_ultralytics_metrics_and_ours_every_epoch(smoke_run):
    run = smoke_run.recorded
    assert smoke_run.run_dirs == [smoke_run.result.run_dir]  # no second run
    assert not list(smoke_run.result.save_dir.rglob("*.wandb"))  # none inside Ultralytics' folder
    assert run.history_keys >= OUR_KEYS | ULTRALYTICS_KEYS
    epoch_rows = [row for row in run.history if "val/mAP50" in row]
    assert [row["epoch"] for row in epoch_rows] == [1, 2, 3]
    for row in epoch_rows:  # ours are Ultralytics' numbers under our names (docs/tasks.md)
        assert row["val/mAP50"] == row["metrics/mAP50(B)"]
        assert row["val/recall"] == row["metrics/recall(B)"]
    assert run.project == "wandb-e2e-demo-image-detection"
    assert run.config["optimizer"] == "SGD" and run.config["smoke"] is True
    assert run.exit_code == 0  # finished by us, once, successfully


def test_smoke_training_losses_fall(smoke_run):
    # mAP stays 0 after three epochs (docs/facts.md): the losses are what shows learning.
    for key in ("train/box_loss", "train/cls_loss", "train/dfl_loss"):
        losses = smoke_run.recorded.metric(key)
        assert len(losses) == 3
        assert losses[-1] < 0.9 * losses[0], f"{key} did not fall: {losses}"


def test_summary_and_result_report_best_pt(smoke_run):
    run, result = smoke_run.recorded, smoke_run.result
    assert set(result.metrics) == set(METRIC_KEYS)
    for key, value in result.metrics.items():
        assert 0.0 <= value <= 1.0
        assert run.summary[key] == pytest.approx(value)


def test_ultralytics_settings_are_unchanged(smoke_run):
    from ultralytics.utils import SETTINGS_FILE

    after = SETTINGS_FILE.read_text()
    assert after == (smoke_run.root / SETTINGS_BEFORE).read_text()  # copied by conftest's setup
    assert json.loads(after)["wandb"] is False


def test_dataset_artifact_versions_the_yolo_folder(smoke_run):
    artifact = smoke_run.recorded.artifact("synthetic-shapes", type="dataset")
    assert artifact.metadata["class_names"] == ["circle", "square", "triangle"]
    assert artifact.metadata["train_images"] == 48 and artifact.metadata["val_images"] == 16
    images = [p for p in artifact.files if p.startswith("images/train/")]
    labels = [p for p in artifact.files if p.startswith("labels/val/")]
    assert len(images) == 48 and len(labels) == 16
    assert not [p for p in artifact.files if p.endswith(".cache")]  # Ultralytics' index, not data
    first_label = artifact.read_text("labels/val/val_0000.txt").split()
    assert 0 <= int(first_label[0]) < 3 and all(0 < float(v) < 1 for v in first_label[1:5])


def _box_layers(image: dict) -> dict:
    return image["boxes"]


def test_sample_table_shows_ground_truth_boxes(smoke_run):
    samples = smoke_run.recorded.table("dataset/samples")
    assert samples["columns"] == ["image", "objects", "classes"]
    assert len(samples["data"]) == 8
    for image, objects, classes in samples["data"]:
        truth = _box_layers(image)["ground_truth"]
        assert len(truth) == objects >= 1
        assert {b["box_caption"] for b in truth} == set(classes.split(", "))


def test_prediction_table_has_boxes_with_confidence(smoke_run):
    table = smoke_run.recorded.table("val/predictions")
    assert table["columns"] == [
        "image",
        "detections",
        "classes",
        "confidences",
        "ground_truth_objects",
    ]
    assert len(table["data"]) == 8
    total = 0
    for image, detections, classes, confidences, truth in table["data"]:
        predicted = _box_layers(image)["predictions"]
        assert len(predicted) == detections <= 10  # max_det in smoke
        assert len(_box_layers(image)["ground_truth"]) == truth >= 1
        scores = [b["scores"]["confidence"] for b in predicted]
        assert all(s >= 0.001 for s in scores)  # smoke conf threshold
        assert confidences == ", ".join(f"{s:.2f}" for s in scores)
        assert classes == ", ".join(b["box_caption"].rsplit(" ", 1)[0] for b in predicted)
        for box in predicted:
            assert 0 <= box["class_id"] < 3
            pos = box["position"]
            assert -1 <= pos["minX"] < pos["maxX"] <= image["width"] + 1
        total += detections
    assert total > 0, "the untrained smoke model still scores some boxes above conf=0.001"


def test_box_overlays_and_per_class_table(smoke_run):
    run = smoke_run.recorded
    (examples,) = run.media("val/examples")
    assert examples["_type"] == "images/separated" and examples["count"] == 8
    assert all({"predictions", "ground_truth"} <= set(b) for b in examples["all_boxes"])
    per_class = run.table("val/per_class_ap")
    assert per_class["columns"] == [
        "class", "images", "instances", "precision", "recall", "AP50", "AP50-95"
    ]  # fmt: skip
    assert {row[0] for row in per_class["data"]} <= {"circle", "square", "triangle"}
    assert sum(row[2] for row in per_class["data"]) > 0  # instances in the val split
    assert {"plots/results", "plots/confusion_matrix"} <= {
        k.split(".")[0] for k in run.history_keys
    }  # Ultralytics' own plots


def test_model_artifact_holds_best_pt_and_card(smoke_run, tmp_path):
    from ultralytics import YOLO

    run = smoke_run.recorded
    artifact = run.artifact("yolov8n-synthetic-shapes", type="model")
    assert set(artifact.files) == {"best.pt", "model_card.json"}
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert card.model_type == "detection" and card.architecture == "yolov8n"
    assert card.weights_file == "best.pt"
    assert card.class_names == ["circle", "square", "triangle"]
    assert card.input_size == [96, 96] and card.extra["imgsz"] == 96
    assert card.normalization == {}
    assert card.metrics["val/mAP50"] == round(smoke_run.result.metrics["val/mAP50"], 4)
    assert card.run_path.endswith(run.run_id)
    assert card.dataset_artifact == "synthetic-shapes:latest"
    assert card.extra == {"imgsz": 96, "conf": 0.001}
    # train() ships exactly the card model_card() builds (the notebook and the viewer use it too).
    assert card == model_card(
        smoke_run.cfg,
        class_names=card.class_names,
        metrics=smoke_run.result.metrics,
        run_path=card.run_path,
    )
    # What the viewer does with the card alone (a download names the file as in the artifact).
    weights = tmp_path / card.weights_file
    shutil.copyfile(artifact.files["best.pt"], weights)
    model = YOLO(str(weights))
    assert list(model.names.values()) == card.class_names


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/coco128-detector-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "yolov8n-synthetic-shapes"


class Interrupted(Exception):
    """Stands in for a Colab disconnect in the middle of training."""


def test_resume_continues_the_same_run(offline_wandb, tmp_path):
    """A run interrupted after epoch 1 continues at epoch 2 under the same W&B run id."""
    cfg = smoke_config(Config(output_dir=tmp_path / "out", data_dir=tmp_path / "data", epochs=2))

    def disconnect(trainer):
        if trainer.epoch == 0:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(cfg, callbacks={"on_fit_epoch_end": [disconnect]})  # after last.pt was saved
    second = train(dataclasses.replace(cfg, resume=True))
    before, after = (read_run(d) for d in find_run_dirs(offline_wandb, second.run_id))
    assert before.exit_code == 1  # the interrupted run was marked failed, not left open
    assert load_run_id(cfg.output_dir) == second.run_id  # wandb_run.json, beside Ultralytics'
    assert [r["epoch"] for r in before.history if "val/mAP50" in r] == [1]
    assert [r["epoch"] for r in after.history if "val/mAP50" in r] == [2]
    assert after.run_id == before.run_id and after.exit_code == 0
    after.artifact("yolov8n-synthetic-shapes", type="model")
    with pytest.raises(ResumeError, match="already finished"):
        train(dataclasses.replace(cfg, resume=True))


def test_resume_without_a_run_says_what_to_do(offline_wandb, tmp_path):
    cfg = smoke_config(Config(output_dir=tmp_path / "empty", resume=True))
    with pytest.raises(ResumeError, match="start without --resume"):
        train(cfg)
    assert find_run_dirs(offline_wandb) == []


def test_ultralytics_own_wandb_logger_is_kept_out():
    """With Ultralytics' `wandb` setting on, its logger would start and finish a second run."""
    from types import SimpleNamespace

    from det_train.train import drop_ultralytics_wandb
    from ultralytics.utils.callbacks import wb as ultralytics_wb

    def ours(trainer):
        pass

    trainer = SimpleNamespace(
        callbacks={
            "on_pretrain_routine_end": [ultralytics_wb.on_pretrain_routine_end],
            "on_fit_epoch_end": [ours, ultralytics_wb.on_fit_epoch_end],
            "on_train_end": [ultralytics_wb.on_train_end],
        }
    )
    drop_ultralytics_wandb(trainer)
    assert trainer.callbacks == {
        "on_pretrain_routine_end": [],
        "on_fit_epoch_end": [ours],
        "on_train_end": [],
    }


def test_the_smoke_run_writes_nothing_into_the_folder_it_starts_in(smoke_run):
    """Ultralytics' habit is `./datasets`: the smoke data lands beside the run instead."""
    assert list((smoke_run.root / "cwd").iterdir()) == []  # conftest trains from here
    assert (smoke_run.cfg.output_dir / "data" / "synthetic-shapes.yaml").is_file()


def test_a_smoke_run_says_its_map_near_0_is_expected(smoke_run):
    from det_train.train import smoke_map_note

    note = smoke_map_note(smoke_run.cfg, smoke_run.result.metrics)
    assert note.startswith("[wb-demo] 스모크 모드에서는 mAP가 0에 가까운 것이 정상입니다 (mAP50 ")
    assert " — smoke mode: " in note
    assert "expected" in note and "\n" not in note
    assert smoke_map_note(dataclasses.replace(smoke_run.cfg, smoke=False), {}) is None
