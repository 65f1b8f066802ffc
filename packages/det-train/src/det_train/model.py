"""YOLOv8n through Ultralytics: COCO-pretrained weights, or the bare architecture for `--smoke`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from wb_common import ModelCard
from wb_common.tasks import TASKS

from det_train.config import TASK, Config

ARCHITECTURE = "yolov8n"
MODEL_YAML = "yolov8n.yaml"  # the architecture alone, random init: ships inside ultralytics
WEIGHTS_FILE = "best.pt"  # Ultralytics' checkpoint of the best epoch; loads with ultralytics.YOLO


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
            "사전 학습 가중치를 불러오지 못했습니다 — "
            f"{cfg.weights} could not be loaded or downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from yolov8n.yaml without weights."
        ) from None


def model_card(
    cfg: Config,
    *,
    class_names: list[str],
    metrics: Mapping[str, float] | None = None,
    run_path: str = "",
) -> ModelCard:
    """The detection model's card: what the viewer needs to load best.pt and draw its boxes.

    The one place it is written: train() ships it with the model, the notebook and the viewer's
    tests build theirs here.
    """
    return ModelCard(
        model_type=TASKS[TASK].model_type,
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=list(class_names),
        input_size=[cfg.imgsz, cfg.imgsz],
        normalization={},  # Ultralytics letterboxes and scales to [0, 1] itself
        metrics={k: round(float(v), 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        # The viewer predicts at the training resolution, with the threshold the overlays used.
        extra={"imgsz": cfg.imgsz, "conf": cfg.conf},
    )
