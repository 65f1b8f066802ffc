"""Every knob of the segmentation demo, with the reason for its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wb_common import checks
from wb_common.tasks import TASKS, collection_for

TASK = "image-segmentation"  # the row of wb_common.tasks.TASKS: project, model_type, collection
DATASETS = ("oxford-pet", "synthetic")
# How the Oxford-IIIT Pet trimap values become classes: see CLASS_MAPPINGS in data.py.
MAPPINGS = ("trimap", "binary")


class ConfigError(checks.ConfigError):
    """A setting the user can fix; the message is one sentence (Korean, then English) saying how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["oxford-pet", "synthetic"] = "oxford-pet"
    """데이터셋 / oxford-pet: photos from the Hub's parquet copy, trimaps from Oxford (all:
    ~810 MB); synthetic is generated (no download)."""
    data_dir: Path = Path("data")  # 데이터 폴더 / trimap archive and decoded tensors go here
    download_train: int | None = None
    """내려받을 학습 사진 수 / Oxford training photos to fetch and decode (None: all 3,680; the
    demo takes 500)."""
    download_val: int | None = None
    """내려받을 검증 사진 수 / Oxford test photos to fetch and validate on (None: all 3,669; the
    demo takes 200)."""
    smoke: bool = False
    """스모크 모드 / Synthetic data, no pretrained weights, 2 epochs at 48 px: no network, no GPU;
    ~80 s of CPU time (README: measured)."""
    class_mapping: Literal["trimap", "binary"] = "trimap"
    """클래스 구성 / trimap: pet / background / border (3 classes); binary: the border counts as
    pet."""

    epochs: int = 5
    """에폭 수 / 230 steps an epoch at batch 16: a short Colab slot (not measured here)"""
    batch_size: int = 16  # 배치 크기 / planned (docs/tasks.md); small enough for any GPU at 256 px
    lr: float = 1e-3  # 학습률 / AdamW fine-tuning rate; the sweep explores 1e-4 .. 1e-2
    weight_decay: float = 1e-4
    """가중치 감쇠 / torchvision's segmentation reference recipe uses 1e-4"""
    img_size: int = 128
    """이미지 크기(px) / planned (docs/tasks.md); 256 px costs ~4x the compute and memory"""
    pretrained: bool = True
    """사전 학습 가중치 사용 / COCO-trained DeepLabV3 weights (VOC labels); False: from scratch"""
    freeze_backbone: bool = False
    """백본 고정 / train only the DeepLabV3 head: faster, less accurate"""
    max_train_samples: int | None = None
    """학습 샘플 상한 / train on this many of the fetched photos; None: all"""
    seed: int = 0  # 난수 시드 / random seed

    sample_table_size: int = 24
    """데이터셋 미리보기 Table 행 수 / rows of the dataset-preview Table (image + mask overlay)"""
    val_table_size: int = 64
    """검증 예측 Table 행 수 / rows of the prediction Table: enough to sort by IoU and browse"""
    media_samples: int = 8
    """매 에폭 기록할 검증 이미지 수 / fixed validation images logged with both mask layers every
    epoch"""
    output_dir: Path = Path("outputs/seg-train")  # 출력 폴더 / checkpoint.pt and model.pth
    resume: bool = False
    """중단된 실행 이어서 학습 / continue the interrupted run in output_dir (same W&B run id)"""
    overwrite: bool = False
    """덮어쓰기: 다른 실행의 체크포인트를 지우고 새로 시작 / start afresh where another run's
    checkpoint is: deletes it"""
    # wandb-registry-model/<this>, alias staging: the task's collection in wb_common.tasks.TASKS.
    registry_collection: str = TASKS[TASK].collection
    """Registry 컬렉션 / wandb-registry-model/<this>, alias staging: the task's collection in
    wb_common.tasks.TASKS."""
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
        """The dataset artifact's name: `oxford-iiit-pet` or `synthetic-pets`."""
        return "synthetic-pets" if self.dataset == "synthetic" else "oxford-iiit-pet"

    @property
    def model_name(self) -> str:
        return f"deeplabv3-mobilenet-v3-{self.dataset_name}"


def smoke_config(cfg: Config) -> Config:
    """The `--smoke` variant: generated pets at 48 px, random init, two short epochs on the CPU."""
    return dataclasses.replace(
        cfg,
        smoke=True,
        dataset="synthetic",
        pretrained=False,
        epochs=2 if cfg.epochs == Config.epochs else cfg.epochs,
        # 48 px: DeepLabV3 sees a 3x3 feature map, enough for a pet-shaped blob, and the step is
        # cheap enough for CI (the architecture stays the real one: the viewer must load it)
        img_size=48 if cfg.img_size == Config.img_size else cfg.img_size,
        # from scratch, with 8 steps an epoch, a higher rate is what makes the masks appear
        lr=5e-3 if cfg.lr == Config.lr else cfg.lr,
        sample_table_size=min(cfg.sample_table_size, 8),
        val_table_size=min(cfg.val_table_size, 16),
        media_samples=min(cfg.media_samples, 4),
    )


# Demo mode: what the notebook runs by default, sized for a live slot on a Colab T4 (the minutes
# are estimates from published numbers, not measured on a GPU here; see the notebook's first cell).
# FULL_RUN = True in the notebook (or the CLI without these presets) runs Config() as it is.
DEMO_SWEEP_TRIALS = 3  # live trials on stage; run the full sweep beforehand (seg-sweep --count 10)


# The demo's subset of Oxford-IIIT Pet: 500 + 200 photos are ~75 MB of the 791 MB of photos to
# fetch (+ the 19 MB trimap archive), ~2 s of JPEG decoding on Colab's two vCPUs instead of
# minutes, and, decoded at 128 px (64 KiB a photo with its trimap), a 46 MB dataset artifact.
# A pretrained DeepLabV3 learns pet-vs-background from 500 photos in a few epochs.
DEMO_TRAIN_PHOTOS = 500
DEMO_VAL_PHOTOS = 200


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 500 of the 3,680 training pets, 200 test pets, 3 epochs, 128 px."""
    return dataclasses.replace(
        cfg, download_train=DEMO_TRAIN_PHOTOS, download_val=DEMO_VAL_PHOTOS, epochs=3
    )


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 300 of the demo's pets, one epoch (smoke: a CPU-sized trial).

    The trial keeps the demo's `download_*`: it reads the tensors the demo run decoded (and logs
    the same dataset artifact, so W&B uploads nothing new)."""
    if cfg.smoke:
        return dataclasses.replace(cfg, epochs=1, max_train_samples=16)
    return dataclasses.replace(cfg, max_train_samples=300, epochs=1)


def demo_sweep_config(sweep_config: dict) -> dict:
    """img_size stays 128 live: each new size decodes the photos again and uploads them again."""
    return {
        **sweep_config,
        "parameters": {**sweep_config["parameters"], "img_size": {"value": 128}},
    }


def check_config(cfg: Config) -> None:
    """Fail fast, before any download, with one sentence the user can act on."""
    problem = (
        checks.one_of(cfg, "dataset", DATASETS, called="데이터셋")
        or checks.one_of(cfg, "class_mapping", MAPPINGS, called="클래스 매핑")
        or checks.not_positive(cfg, "lr")
        or checks.too_small(
            cfg, "epochs", "batch_size", "max_train_samples", "download_train", "download_val"
        )
        # DeepLabV3-MobileNetV3 downsamples 16x: below 32 px its feature map is a single pixel.
        or checks.too_small(cfg, "img_size", minimum=32)
        # Cityscapes-sized crops (1024 px) are DeepLabV3's largest usual input; beyond 2048 px a
        # single image's activations outgrow a 16 GB T4 (out of memory after the data loads).
        or checks.too_large(cfg, "img_size", maximum=2048)
        or checks.negative(cfg, "weight_decay")
    )
    if problem:
        raise ConfigError(problem)
