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


class ConfigError(ValueError):
    """A setting the user can fix; the message is one sentence (Korean, then English) saying how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["oxford-pet", "synthetic"] = "oxford-pet"
    """oxford-pet downloads via torchvision (~800 MB); synthetic is generated (no download)."""
    data_dir: Path = Path("data")  # Oxford-IIIT Pet goes to data_dir/oxford-iiit-pet
    smoke: bool = False
    """Synthetic data, no pretrained weights, 2 epochs at 48 px: no network, no GPU, ~1 minute."""
    class_mapping: Literal["trimap", "binary"] = "trimap"
    """trimap: pet / background / border (3 classes); binary: the border counts as pet."""

    epochs: int = 5  # 230 steps an epoch at batch 16: a short Colab slot (not measured here)
    batch_size: int = 16  # the ROADMAP's value; small enough for any GPU at 256 px
    lr: float = 1e-3  # AdamW fine-tuning rate; the sweep explores 1e-4 .. 1e-2
    weight_decay: float = 1e-4  # torchvision's segmentation reference recipe uses 1e-4
    img_size: int = 128  # the ROADMAP's value; 256 px costs ~4x the compute and memory
    pretrained: bool = True  # COCO-trained DeepLabV3 weights (VOC labels); False: from scratch
    freeze_backbone: bool = False  # train only the DeepLabV3 head: faster, less accurate
    max_train_samples: int | None = None  # subsample for a shorter demo slot; None = all 3680
    seed: int = 0

    sample_table_size: int = 24  # rows of the dataset-preview Table (image + mask overlay)
    val_table_size: int = 64  # rows of the prediction Table: enough to sort by IoU and browse
    media_samples: int = 8  # fixed validation images logged with both mask layers every epoch
    output_dir: Path = Path("outputs/seg-train")  # checkpoint.pt and model.pth
    resume: bool = False  # continue the interrupted run in output_dir (same W&B run id)
    overwrite: bool = False  # start afresh where another run's checkpoint is: deletes it
    # wandb-registry-model/<this>, alias staging: the task's collection in wb_common.tasks.TASKS.
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


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 1,000 of the 3,680 training pets, 2 epochs at 128 px."""
    return dataclasses.replace(cfg, max_train_samples=1_000, epochs=2)


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 300 pets, one epoch (smoke: a CPU-sized trial)."""
    if cfg.smoke:
        return dataclasses.replace(cfg, epochs=1, max_train_samples=16)
    return dataclasses.replace(cfg, max_train_samples=300, epochs=1)


def demo_sweep_config(sweep_config: dict) -> dict:
    """img_size stays 128 live: each new size decodes all 7,390 photos again and uploads them."""
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
        or checks.too_small(cfg, "epochs", "batch_size", "max_train_samples")
        # DeepLabV3-MobileNetV3 downsamples 16x: below 32 px its feature map is a single pixel.
        or checks.too_small(cfg, "img_size", minimum=32)
        # Cityscapes-sized crops (1024 px) are DeepLabV3's largest usual input; beyond 2048 px a
        # single image's activations outgrow a 16 GB T4 (out of memory after the data loads).
        or checks.too_large(cfg, "img_size", maximum=2048)
        or checks.negative(cfg, "weight_decay")
    )
    if problem:
        raise ConfigError(problem)
