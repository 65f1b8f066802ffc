"""YOLOv8n through Ultralytics: COCO-pretrained weights, or the bare architecture for `--smoke`."""

from __future__ import annotations

from pathlib import Path

from det_train.config import Config

ARCHITECTURE = "yolov8n"
MODEL_YAML = "yolov8n.yaml"  # the architecture alone, random init: ships inside ultralytics


class WeightsDownloadError(RuntimeError):
    """The pretrained weights could not be fetched; the message says what to do instead."""


def build_model(cfg: Config, checkpoint: Path | None = None):
    """An `ultralytics.YOLO`: from `checkpoint` (resume), `cfg.weights`, or yolov8n.yaml.

    The number of classes is not set here: Ultralytics replaces the 80-class COCO head with one
    for the dataset's `names` when training starts, and keeps every other layer's weights.
    """
    from ultralytics import YOLO

    if checkpoint is not None:
        return YOLO(str(checkpoint))
    if not cfg.pretrained:
        return YOLO(MODEL_YAML)
    try:
        return YOLO(cfg.weights)
    except Exception as err:  # ConnectionError offline, a truncated download, a missing file
        raise WeightsDownloadError(
            f"{cfg.weights} could not be loaded or downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from yolov8n.yaml without weights."
        ) from None
