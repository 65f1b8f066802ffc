"""Every knob of the detection demo, with the reason for its default.

Fields named like an Ultralytics training argument (`epochs`, `imgsz`, `lr0`, `mosaic` ...) are
passed to `YOLO.train()` under that name (`ULTRALYTICS_FIELDS`); the rest are ours.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wb_common import checks
from wb_common.tasks import TASKS, collection_for

TASK = "image-detection"  # wb_common.tasks.TASKS: the W&B project, model_type and collection
DATASETS = ("coco128", "voc", "synthetic")
OPTIMIZERS = ("SGD", "Adam", "AdamW", "auto")

# The Config fields that are Ultralytics training arguments, passed through unchanged.
ULTRALYTICS_FIELDS = (
    "epochs", "imgsz", "batch", "optimizer", "lr0", "warmup_epochs",
    "mosaic", "fliplr", "hsv_h", "hsv_s", "hsv_v", "scale", "amp", "workers", "seed",
)  # fmt: skip


class ConfigError(ValueError):
    """A setting the user can fix; the message is one sentence that says how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["coco128", "voc", "synthetic"] = "coco128"
    """coco128: Ultralytics' 128-image COCO subset (7 MB); voc: PASCAL VOC 2007+2012 (2.8 GB,
    converted to YOLO format by Ultralytics' script); synthetic: generated shapes on noise."""
    data_dir: Path = Path("datasets")  # datasets are downloaded (or generated) into this folder
    smoke: bool = False
    """Synthetic data, yolov8n.yaml without weights, 96 px, 3 epochs: no network, no GPU."""

    pretrained: bool = True  # from COCO weights (yolov8n.pt); False: yolov8n.yaml, random init
    weights: str = "yolov8n.pt"  # Ultralytics downloads it on first use (6 MB) into the working dir
    epochs: int = 30  # the ROADMAP's length; Ultralytics' T4 tutorial: mAP50 0.65 after 3 epochs
    imgsz: int = 640  # the resolution yolov8n.pt was trained at; smaller loses small objects
    batch: int = 16  # fits a T4 at 640 px with AMP
    optimizer: Literal["SGD", "Adam", "AdamW", "auto"] = "SGD"
    """Explicit on purpose: Ultralytics' "auto" picks its own optimizer and lr and ignores lr0."""
    lr0: float = 0.01  # Ultralytics' SGD default; Adam/AdamW want ~0.001
    warmup_epochs: float = 3.0  # Ultralytics' default: protects the pretrained head early on
    # Augmentation (Ultralytics' defaults; the sweep explores them):
    mosaic: float = 1.0  # probability of a 4-image mosaic
    fliplr: float = 0.5  # probability of a horizontal flip
    hsv_h: float = 0.015  # hue jitter (fraction)
    hsv_s: float = 0.7  # saturation jitter (fraction)
    hsv_v: float = 0.4  # brightness jitter (fraction)
    scale: float = 0.5  # random zoom +/- this fraction
    amp: bool = True  # mixed precision on a GPU (ignored on CPU)
    device: str | None = None  # None: Ultralytics picks the first GPU, else the CPU; or "cpu", "0"
    workers: int = 2  # Colab has two vCPUs; more workers only compete for them
    seed: int = 0

    conf: float = 0.25  # confidence threshold of the boxes in the overlays and predictions table
    max_det: int = 50  # at most this many boxes an image in those overlays
    sample_table_size: int = 16  # rows of the dataset-preview Table (image with ground-truth boxes)
    val_table_size: int = 32  # validation images in the predictions Table and the box overlays
    output_dir: Path = Path("outputs/det-train")  # Ultralytics' run folder lands in <this>/train
    resume: bool = False  # continue the interrupted run in output_dir (same W&B run id)
    overwrite: bool = False  # start afresh where another run's checkpoint is: deletes it
    # wandb-registry-model/<this>, alias staging; the name is written once, in wb_common.tasks.
    registry_collection: str = TASKS[TASK].collection
    sweep_trial: bool = False
    """Set by the sweep: the model is not linked; only the best trial's is, after the sweep."""
    group: str | None = None  # W&B run group (sweeps set it)

    @property
    def collection(self) -> str:
        """Where the model links: `registry_collection`, or `<it>-smoke` for smoke runs."""
        return collection_for(self.registry_collection, smoke=self.smoke)

    @property
    def dataset_name(self) -> str:
        """The dataset artifact's name: `coco128`, `voc` or `synthetic-shapes`."""
        return "synthetic-shapes" if self.dataset == "synthetic" else self.dataset

    @property
    def model_name(self) -> str:
        return f"yolov8n-{self.dataset_name}"


def smoke_config(cfg: Config) -> Config:
    """The `--smoke` variant: generated shapes at 96 px, random init, three short epochs."""
    return dataclasses.replace(
        cfg,
        smoke=True,
        dataset="synthetic",
        # The generated shapes go beside the run, not into `./datasets` of whatever folder (the
        # repository) the smoke run starts in.
        data_dir=cfg.output_dir / "data" if cfg.data_dir == Config.data_dir else cfg.data_dir,
        pretrained=False,
        epochs=3 if cfg.epochs == Config.epochs else cfg.epochs,
        imgsz=96 if cfg.imgsz == Config.imgsz else cfg.imgsz,
        batch=8 if cfg.batch == Config.batch else cfg.batch,
        # From scratch on 40 images there is nothing to protect: no warmup, so losses fall at once.
        warmup_epochs=0.0 if cfg.warmup_epochs == Config.warmup_epochs else cfg.warmup_epochs,
        # Three epochs from scratch do not make a detector (mAP stays 0): its best boxes score
        # ~0.004. Show them anyway, so the overlays and the table carry real model output.
        conf=0.001 if cfg.conf == Config.conf else cfg.conf,
        max_det=10 if cfg.max_det == Config.max_det else cfg.max_det,
        device="cpu" if cfg.device is None else cfg.device,
        workers=0,
        sample_table_size=min(cfg.sample_table_size, 8),
        val_table_size=min(cfg.val_table_size, 8),
    )


# Demo mode: what the notebook runs by default, sized for a live slot on a Colab T4 (the minutes
# are estimates from published numbers, not measured on a GPU here; see the notebook's first cell).
# FULL_RUN = True in the notebook (or the CLI without these presets) runs Config() as it is.
DEMO_SWEEP_TRIALS = 3  # live trials on stage; run the full sweep beforehand (det-sweep --count 10)


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 10 epochs (Ultralytics' T4 tutorial: 6-8 s an epoch on COCO128)."""
    return dataclasses.replace(cfg, epochs=10)


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 3 epochs (smoke: one CPU epoch)."""
    return dataclasses.replace(cfg, epochs=1 if cfg.smoke else 3)


def demo_sweep_config(sweep_config: dict) -> dict:
    """The live sweep searches the full space: every trial is already short."""
    return sweep_config


def check_config(cfg: Config) -> None:
    """Fail fast, before any download or training, with one sentence the user can act on."""
    problem = (
        checks.one_of(cfg, "dataset", DATASETS, called="데이터셋")
        or checks.one_of(cfg, "optimizer", OPTIMIZERS, called="옵티마이저")
        or checks.not_positive(cfg, "lr0")
        or checks.too_small(cfg, "epochs", "batch", "imgsz")
        # 1280 px is the largest size YOLO models are trained at (the P6 variants); above it
        # yolov8n's anchors see nothing new and a batch outgrows a T4 after the data loads.
        or checks.too_large(cfg, "imgsz", maximum=1280)
    )
    if problem:
        raise ConfigError(problem)
    if cfg.imgsz % 32:
        raise ConfigError(
            f"imgsz는 32의 배수여야 합니다 — imgsz must be a multiple of 32 "
            f"(YOLO's largest stride), got {cfg.imgsz}."
        )
    for name in ("mosaic", "fliplr", "hsv_h", "hsv_s", "hsv_v", "conf"):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise ConfigError(
                f"{name}은(는) 0과 1 사이여야 합니다 — {name} must be between 0 and 1, "
                f"got {getattr(cfg, name)}."
            )
