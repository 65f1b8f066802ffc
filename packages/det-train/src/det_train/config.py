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


class ConfigError(checks.ConfigError):
    """A setting the user can fix; the message is one sentence that says how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["coco128", "voc", "synthetic"] = "coco128"
    """데이터셋 / coco128: Ultralytics' 128-image COCO subset (7 MB); voc: PASCAL VOC 2007+2012 (2.8
    GB, converted to YOLO format by Ultralytics' script); synthetic: generated shapes on noise."""
    data_dir: Path = Path("datasets")
    """데이터 폴더 / datasets are downloaded (or generated) into this folder"""
    smoke: bool = False
    """스모크 모드 / Synthetic data, yolov8n.yaml without weights, 96 px, 3 epochs: no network, no
    GPU."""

    pretrained: bool = True
    """사전 학습 가중치 사용 / from COCO weights (yolov8n.pt); False: yolov8n.yaml, random init"""
    weights: str = "yolov8n.pt"
    """사전 학습 가중치 파일 / Ultralytics downloads it on first use (6 MB) into the working dir"""
    epochs: int = 30
    """에폭 수 / planned length; Ultralytics' T4 tutorial: mAP50 0.65 after 3 epochs"""
    imgsz: int = 640
    """이미지 크기(px) / the resolution yolov8n.pt was trained at; smaller loses small objects"""
    batch: int = 16  # 배치 크기 / fits a T4 at 640 px with AMP
    optimizer: Literal["SGD", "Adam", "AdamW", "auto"] = "SGD"
    """옵티마이저 / Explicit on purpose: Ultralytics' "auto" picks its own optimizer and lr and
    ignores lr0."""
    lr0: float = 0.01  # 초기 학습률 / Ultralytics' SGD default; Adam/AdamW want ~0.001
    warmup_epochs: float = 3.0
    """워밍업 에폭 / Ultralytics' default: protects the pretrained head early on"""
    # Augmentation (Ultralytics' defaults; the sweep explores them):
    mosaic: float = 1.0  # 모자이크 확률 / probability of a 4-image mosaic
    fliplr: float = 0.5  # 좌우 반전 확률 / probability of a horizontal flip
    hsv_h: float = 0.015  # 색조 흔들기 / hue jitter (fraction)
    hsv_s: float = 0.7  # 채도 흔들기 / saturation jitter (fraction)
    hsv_v: float = 0.4  # 밝기 흔들기 / brightness jitter (fraction)
    scale: float = 0.5  # 확대·축소 범위 / random zoom +/- this fraction
    amp: bool = True  # 혼합 정밀도 / mixed precision on a GPU (ignored on CPU)
    device: str | None = None
    """장치 / None: Ultralytics picks the first GPU, else the CPU; or "cpu", "0"."""
    workers: int = 2
    """데이터 로더 프로세스 수 / Colab has two vCPUs; more workers only compete for them"""
    seed: int = 0  # 난수 시드 / random seed

    conf: float = 0.25
    """박스 신뢰도 임계값 / confidence threshold of the boxes in the overlays and predictions
    table"""
    max_det: int = 50  # 이미지당 최대 박스 수 / at most this many boxes an image in those overlays
    sample_table_size: int = 16
    """데이터셋 미리보기 Table 행 수 / rows of the dataset-preview Table (image with ground-truth
    boxes)"""
    val_table_size: int = 32
    """검증 예측 Table 이미지 수 / validation images in the predictions Table and the box
    overlays"""
    output_dir: Path = Path("outputs/det-train")
    """출력 폴더 / Ultralytics' run folder lands in <this>/train"""
    resume: bool = False
    """중단된 실행 이어서 학습 / continue the interrupted run in output_dir (same W&B run id)"""
    overwrite: bool = False
    """덮어쓰기: 다른 실행의 체크포인트를 지우고 새로 시작 / start afresh where another run's
    checkpoint is: deletes it"""
    # wandb-registry-model/<this>, alias staging; the name is written once, in wb_common.tasks.
    registry_collection: str = TASKS[TASK].collection
    """Registry 컬렉션 / wandb-registry-model/<this>, alias staging; the name is written once, in
    wb_common.tasks."""
    sweep_trial: bool = False
    """스윕 전용 / Set by the sweep: the model is not linked; only the best trial's is, after the
    sweep."""
    group: str | None = None  # W&B 실행 그룹 / W&B run group (sweeps set it)
    verbose: bool = False
    """라이브러리 배너·인수 목록까지 출력 / also print library banners and argument dumps"""

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


# Warm-up in the demo: one epoch, not Ultralytics' three. Ultralytics ramps the lr from 0 to lr0
# over the warm-up (capped at all epochs but the last), so a 3-epoch trial with warmup_epochs=3
# would spend two of its three epochs ramping and the lr0 the sweep compares would shape one
# epoch only. With one warm-up epoch, two of three epochs train at the lr the trial was given.
DEMO_WARMUP_EPOCHS = 1.0


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 10 epochs (Ultralytics' T4 tutorial: 6-8 s an epoch on COCO128),
    one of them warm-up (`DEMO_WARMUP_EPOCHS`)."""
    default = cfg.warmup_epochs == Config.warmup_epochs  # a value set by hand stays
    warmup = DEMO_WARMUP_EPOCHS if default else cfg.warmup_epochs
    return dataclasses.replace(cfg, epochs=10, warmup_epochs=warmup)


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 3 epochs, warm-up as in `cfg` (smoke: one CPU epoch)."""
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
