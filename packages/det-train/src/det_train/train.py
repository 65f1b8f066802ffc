"""Fine-tune YOLOv8n with Ultralytics' own trainer and record everything in one W&B run.

    uv run --package det-train det-train --smoke          # synthetic shapes, CPU, < 1 min
    uv run --package det-train det-train                  # COCO128, yolov8n.pt, Colab T4
    uv run --package det-train det-train --dataset voc --epochs 50

One run for everything. We start it (`start_run`); Ultralytics' trainer does the training and, at
the end of each epoch, a callback (`add_wandb_logging`) logs Ultralytics' own numbers under its own
keys (`train/box_loss`, `metrics/mAP50(B)`, `lr/pg0`) together with ours (`val/mAP50` ...).
After training, Ultralytics' plots, the box overlays, the tables, the artifacts and the Registry
link go into the same run, and leaving `with start_run(...)` finishes it (as failed on an error,
so `--resume` continues it). No Ultralytics setting is changed: nothing sticks on disk for the
next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wandb
from wb_common import (
    ModelCard,
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
    start_run,
)
from wb_common.checkpoint import save_run_id
from wb_common.resume import log_again_what_was_lost

from det_train.checkpoint import epoch_row, logged_history, resume_point
from det_train.config import TASK, ULTRALYTICS_FIELDS, Config, check_config
from det_train.data import Box, DetectionData, build_datasets, read_boxes
from det_train.model import build_model, model_card
from det_train.yolo_env import ensure_font


@dataclass
class TrainResult:
    metrics: dict[str, float]  # best.pt on the validation set, e.g. {"val/mAP50": 0.65, ...}
    run_id: str
    run_dir: Path | None  # the local W&B run folder (None when W&B is disabled)
    model_path: Path  # best.pt
    card: ModelCard
    save_dir: Path  # Ultralytics' run folder: weights/, results.csv, plots


def ultralytics_args(cfg: Config, data: DetectionData) -> dict[str, Any]:
    """The keyword arguments of `YOLO.train()`: our Ultralytics-named fields, data and folders."""
    args = {name: getattr(cfg, name) for name in ULTRALYTICS_FIELDS}
    return {
        **args,
        "data": str(data.yaml_path),
        "device": cfg.device,
        # Ultralytics steps the optimizer every `nbs / batch` batches; the smoke set has only a
        # few batches an epoch, so there nbs = batch and every batch is a step.
        "nbs": cfg.batch if cfg.smoke else 64,
        "project": str(cfg.output_dir.resolve()),
        "name": "train",
        "exist_ok": True,  # one folder per output_dir: a rerun overwrites, --resume continues it
        "plots": True,  # results.png, confusion matrix, PR curves: logged to W&B after training
    }


# --- what we log -----------------------------------------------------------------------------


def wandb_boxes(boxes: list[Box], scores: list[float] | None, class_names: list[str]) -> dict:
    """One box group for `wandb.Image(boxes=...)`, in pixels; with scores for predictions."""
    box_data = []
    for i, box in enumerate(boxes):
        x1, y1, x2, y2 = (float(v) for v in box.xyxy)
        name = class_names[box.class_id]
        entry = {
            "position": {"minX": x1, "minY": y1, "maxX": x2, "maxY": y2},
            "domain": "pixel",
            "class_id": box.class_id,
            "box_caption": name if scores is None else f"{name} {scores[i]:.2f}",
        }
        if scores is not None:
            entry["scores"] = {"confidence": float(scores[i])}
        box_data.append(entry)
    return {"box_data": box_data, "class_labels": dict(enumerate(class_names))}


def sample_table(data: DetectionData, n: int) -> wandb.Table:
    """Dataset preview: the first `n` training images with their ground-truth boxes."""
    from PIL import Image

    table = wandb.Table(columns=["image", "objects", "classes"])
    for path in data.train_images[:n]:
        with Image.open(path) as image:
            image = image.convert("RGB")
        truth = read_boxes(path, *image.size)
        boxes = {"ground_truth": wandb_boxes(truth, None, data.class_names)}
        classes = sorted({data.class_names[b.class_id] for b in truth})
        table.add_data(wandb.Image(image, boxes=boxes), len(truth), ", ".join(classes))
    return table


@dataclass
class Prediction:
    image: Path
    rgb: Any  # HxWx3 uint8
    boxes: list[Box]
    scores: list[float]
    truth: list[Box]


def predict(weights: Path, images: list[Path], cfg: Config) -> list[Prediction]:
    """Run the trained model on `images`: Ultralytics' predictor, one result per image."""
    from ultralytics import YOLO

    model = YOLO(str(weights))
    found = []
    results = model.predict(
        [str(p) for p in images], imgsz=cfg.imgsz, conf=cfg.conf, device=cfg.device,
        max_det=cfg.max_det, stream=True, verbose=False,
    )  # fmt: skip
    for path, result in zip(images, results, strict=True):
        rgb = result.orig_img[:, :, ::-1]  # Ultralytics reads BGR (OpenCV)
        height, width = rgb.shape[:2]
        boxes = [
            Box(int(c), tuple(xyxy))
            for xyxy, c in zip(result.boxes.xyxy.tolist(), result.boxes.cls.tolist(), strict=True)
        ]
        found.append(
            Prediction(
                path, rgb, boxes, result.boxes.conf.tolist(), read_boxes(path, width, height)
            )
        )
    return found


def overlay(p: Prediction, class_names: list[str]) -> wandb.Image:
    """The W&B box overlay: predictions (with confidence) and ground truth, toggled in the UI."""
    return wandb.Image(
        p.rgb,
        boxes={
            "predictions": wandb_boxes(p.boxes, p.scores, class_names),
            "ground_truth": wandb_boxes(p.truth, None, class_names),
        },
        caption=p.image.name,
    )


def prediction_table(
    predictions: list[Prediction], overlays: list[wandb.Image], class_names: list[str]
) -> wandb.Table:
    """One row per validation image: overlay, number of detections, classes, confidences."""
    table = wandb.Table(
        columns=["image", "detections", "classes", "confidences", "ground_truth_objects"]
    )
    for p, image in zip(predictions, overlays, strict=True):
        table.add_data(
            image,
            len(p.boxes),
            ", ".join(class_names[b.class_id] for b in p.boxes),
            ", ".join(f"{s:.2f}" for s in p.scores),
            len(p.truth),
        )
    return table


def per_class_table(validator_metrics: Any) -> wandb.Table:
    """Ultralytics' per-class results of best.pt (`DetMetrics.summary()`) as a W&B Table."""
    table = wandb.Table(
        columns=["class", "images", "instances", "precision", "recall", "AP50", "AP50-95"]
    )
    for row in validator_metrics.summary():
        table.add_data(
            row["Class"], int(row["Images"]), int(row["Instances"]),
            row["Box-P"], row["Box-R"], row["mAP50"], row["mAP50-95"],
        )  # fmt: skip
    return table


# --- the run ---------------------------------------------------------------------------------


ULTRALYTICS_WANDB_MODULE = "ultralytics.utils.callbacks.wb"


def drop_ultralytics_wandb(trainer: Any) -> None:
    """Remove Ultralytics' W&B logger from a trainer (it adds it when its `wandb` setting is on)."""
    for event, functions in trainer.callbacks.items():
        kept = [f for f in functions if getattr(f, "__module__", "") != ULTRALYTICS_WANDB_MODULE]
        if len(kept) != len(functions):
            trainer.callbacks[event] = kept


def add_wandb_logging(model: Any, run: wandb.Run) -> None:
    """Log each epoch of Ultralytics' trainer into `run`: its own metrics under its own keys
    (`train/box_loss`, `metrics/mAP50(B)`, `lr/pg0` ...) and ours (`val/mAP50` ...).

    Ultralytics' built-in W&B logger is kept out of this trainer, on purpose: it writes to the
    global `wandb.run`, which is ours (wb_common starts runs with reinit="finish_previous"), so it
    would log into our run without our step (rows at steps already logged are dropped), add a
    model artifact of its own, and some releases finish the active run at the end (docs/facts.md).
    It is also switched off whenever pytest or GitHub Actions runs, so CI could never check it.
    """

    def log_epoch(trainer: Any) -> None:
        if trainer.epoch >= trainer.epochs:  # final_eval re-validating best.pt: logged after
            return
        ultralytics_metrics = {
            **trainer.label_loss_items(trainer.tloss, prefix="train"),
            **trainer.metrics,  # metrics/precision(B) ... and val/box_loss ...
            **trainer.lr,
        }  # what Ultralytics writes to results.csv: --resume reads lost epochs back from it
        row = epoch_row(ultralytics_metrics, trainer.epoch + 1)  # + val/mAP50 ... and epoch
        if trainer.epoch == 0:
            from ultralytics.utils.torch_utils import model_info_for_loggers

            row.update(model_info_for_loggers(trainer))  # parameters, GFLOPs, speed
        # step=epoch: a resumed run continues the same axis and never reuses a step.
        run.log({k: float(v) for k, v in row.items()}, step=trainer.epoch + 1)

    model.add_callback("on_pretrain_routine_start", drop_ultralytics_wandb)
    model.add_callback("on_fit_epoch_end", log_epoch)
    for prefix in ("train", "val", "metrics", "lr"):
        run.define_metric(f"{prefix}/*", step_metric="epoch")


def ultralytics_plots(save_dir: Path) -> dict[str, wandb.Image]:
    """The plots Ultralytics drew (results, confusion matrix, PR curves, val batches)."""
    return {
        f"plots/{path.stem}": wandb.Image(str(path))
        for path in sorted(save_dir.glob("*"))
        if path.suffix in (".png", ".jpg")
    }


def dataset_metadata(cfg: Config, data: DetectionData) -> dict[str, Any]:
    """What the dataset artifact says about itself: source, format, classes, split sizes."""
    return {
        "source": cfg.dataset,
        "format": "yolo",
        "class_names": data.class_names,
        "train_images": len(data.train_images),
        "val_images": len(data.val_images),
    }


def final_metrics(validator_metrics: Any) -> dict[str, float]:
    """best.pt re-validated by Ultralytics after training (`DetMetrics.box`), under our keys."""
    box = validator_metrics.box
    return {
        "val/mAP50": float(box.map50),
        "val/mAP50-95": float(box.map),
        "val/precision": float(box.mp),
        "val/recall": float(box.mr),
    }


def smoke_map_note(cfg: Config, metrics: dict[str, float]) -> str | None:
    """Why a smoke run's mAP is (near) 0, said once: it is expected, not a broken pipeline."""
    if not cfg.smoke:
        return None
    return (
        "[wb-demo] 스모크 모드에서는 mAP가 0에 가까운 것이 정상입니다 "
        f"(mAP50 {metrics.get('val/mAP50', 0.0):.3f}) — smoke mode: {cfg.epochs} epochs from "
        "random weights on a few dozen synthetic images make no detector yet, so an mAP near 0 "
        "is expected; the pipeline is what this run tests."
    )


def train(cfg: Config, callbacks: dict[str, list[Callable]] | None = None) -> TrainResult:
    """Train through Ultralytics, then log overlays and tables, version the model, link it.

    `callbacks` are extra Ultralytics callbacks by event (e.g. {"on_fit_epoch_end": [fn]}).
    """
    check_config(cfg)  # before any download: a bad flag costs nothing
    run_id, checkpoint = resume_point(cfg.output_dir) if cfg.resume else (None, None)
    data = build_datasets(cfg)
    model = build_model(cfg, checkpoint)
    ensure_font()

    # Leaving `with` finishes the run; an exception marks it failed (exit code 1), resumable.
    with start_run(TASK, cfg, run_id=run_id) as run:
        save_run_id(cfg.output_dir, run.id)  # wandb_run.json: --resume continues this run
        # --resume: what a kill -9 lost is logged again (results.csv's epochs on leaving the block).
        history = logged_history(checkpoint.parents[1]) if checkpoint else {}
        with log_again_what_was_lost(run, history) as previous:
            if previous.missing_artifact(cfg.dataset_name):  # fresh run, or lost in the kill
                for cache in data.root.rglob("*.cache"):  # Ultralytics' label index: not data
                    cache.unlink()
                path = None if cfg.dataset == "voc" else data.root  # VOC is 2.8 GB: metadata only
                metadata = dataset_metadata(cfg, data)
                log_dataset_artifact(run, cfg.dataset_name, path=path, metadata=metadata)
            if previous.missing("dataset/samples"):
                run.log({"dataset/samples": sample_table(data, cfg.sample_table_size)}, step=0)

        add_wandb_logging(model, run)  # run.define_metric + run.log(..., step=epoch) each epoch
        # Added after ours: an extra on_fit_epoch_end sees the epoch already logged.
        for event, functions in (callbacks or {}).items():
            for function in functions:
                model.add_callback(event, function)
        if checkpoint is None:
            model.train(**ultralytics_args(cfg, data))
        else:  # Ultralytics restores epochs, optimizer and folders from last.pt
            model.train(resume=True, data=str(data.yaml_path), device=cfg.device)
        trainer = model.trainer

        # After training, Ultralytics re-validated best.pt: those are the numbers we ship.
        metrics = final_metrics(trainer.validator.metrics)
        run.summary.update(metrics)
        if note := smoke_map_note(cfg, metrics):
            print(note)
        predictions = predict(trainer.best, data.val_images[: cfg.val_table_size], cfg)
        overlays = [overlay(p, data.class_names) for p in predictions]  # uploaded once, used twice
        run.log(
            {
                **ultralytics_plots(Path(trainer.save_dir)),
                "val/per_class_ap": per_class_table(trainer.validator.metrics),
                "val/examples": overlays,
                "val/predictions": prediction_table(predictions, overlays, data.class_names),
            },
            step=trainer.epochs,  # the last epoch's row
        )

        model_path = Path(trainer.best)
        run_path = "" if run.disabled else run.path
        card = model_card(cfg, class_names=data.class_names, metrics=metrics, run_path=run_path)
        artifact = log_model_artifact(run, cfg.model_name, model_path, card)
        link_to_registry(run, artifact, cfg.collection, aliases=["staging"], defer=cfg.sweep_trial)
        return TrainResult(
            metrics=metrics,
            run_id=run.id,
            run_dir=None if run.disabled else Path(run.sync_dir),
            model_path=model_path,
            card=card,
            save_dir=Path(trainer.save_dir),
        )
