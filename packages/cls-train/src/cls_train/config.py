"""Every knob of the classification demo, with the reason for its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wb_common import checks
from wb_common.artifacts import data_collection, folder_slug
from wb_common.tasks import TASKS, collection_for

TASK = "image-classification"  # the row of wb_common.tasks.TASKS: project, model_type, collection
OPTIMIZERS = ("adam", "sgd", "adamw")
DATASETS = ("cifar10", "imagefolder", "synthetic")


class ConfigError(checks.ConfigError):
    """A setting the user can fix; the message is one sentence (Korean, then English) saying how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["cifar10", "imagefolder", "synthetic"] = "cifar10"
    """데이터셋 / cifar10 downloads via torchvision; imagefolder reads --data-dir; synthetic is
    generated."""
    data_dir: Path = Path("data")
    """데이터 폴더 / where CIFAR-10 is downloaded, or the ImageFolder root"""
    smoke: bool = False
    """스모크 모드 / Synthetic data, no pretrained weights, 2 epochs: no network, no GPU; ~20 s on
    an idle 2-core machine, several times that under load (README: measured)."""

    epochs: int = 3
    """에폭 수 / pretrained ResNet-18 passes ~93% val/acc on CIFAR-10 at 224 px by epoch 3"""
    batch_size: int = 128  # 배치 크기 / fits a T4 (16 GB) at 224 px with mixed precision
    lr: float = 1e-3  # 학습률 / AdamW fine-tuning rate; SGD wants ~1e-2 (the sweep explores both)
    optimizer: Literal["adam", "sgd", "adamw"] = "adamw"  # 옵티마이저 / the optimizer
    weight_decay: float = 5e-4
    """가중치 감쇠 / the classic CIFAR value; keeps a 11M-param net from memorising"""
    img_size: int = 224
    """이미지 크기(px) / ImageNet weights expect ~224 px; at native 32 px accuracy drops ~8
    points"""
    pretrained: bool = True
    """사전 학습 가중치 사용 / ResNet18_Weights.DEFAULT (ImageNet); False trains from scratch"""
    max_train_samples: int | None = None
    """학습 샘플 상한 / subsample for a shorter demo slot; None = all 50k"""
    seed: int = 0  # 난수 시드 / random seed

    sample_table_size: int = 40
    """데이터셋 미리보기 Table 행 수 / rows of the dataset-preview Table (image, label)"""
    val_table_size: int = 100
    """검증 예측 Table 행 수 / rows of the validation Table: enough to browse, cheap to upload"""
    output_dir: Path = Path("outputs/cls-train")  # 출력 폴더 / checkpoint.pt and model.pth
    resume: bool = False
    """중단된 실행 이어서 학습 / continue the interrupted run in output_dir (same W&B run id)"""
    overwrite: bool = False
    """덮어쓰기: 다른 실행의 체크포인트를 지우고 새로 시작 / start afresh where another run's
    checkpoint is: deletes it"""
    registry_collection: str | None = None
    """Registry 컬렉션 / wandb-registry-model/<this>, alias staging. None follows the data: the
    task's collection in wb_common.tasks.TASKS, or `<folder>-classifier` for --dataset
    imagefolder (your images never land in CIFAR's)."""
    sweep_trial: bool = False
    """스윕 전용 / Set by the sweep: the model is not linked; only the best trial's is, after the
    sweep."""
    group: str | None = None  # W&B 실행 그룹 / W&B run group (sweeps set it)
    verbose: bool = False
    """라이브러리 배너·인수 목록까지 출력 / also print library banners and argument dumps"""

    @property
    def collection(self) -> str:
        """Where the model links: the data's collection, `<collection>-smoke` for toy models."""
        if self.registry_collection:
            base = self.registry_collection
        elif self.dataset == "imagefolder":
            base = data_collection(self.data_dir, "classifier")
        else:
            base = TASKS[TASK].collection
        return collection_for(base, smoke=self.smoke or self.dataset == "synthetic")

    @property
    def dataset_name(self) -> str:
        """The dataset artifact's name: `cifar10`, `synthetic-cifar10` or `imagefolder-<dir>`."""
        if self.dataset == "imagefolder":
            return f"imagefolder-{folder_slug(self.data_dir)}"  # W&B-safe: `My Pets` -> my-pets
        return "synthetic-cifar10" if self.dataset == "synthetic" else "cifar10"

    @property
    def model_name(self) -> str:
        return f"resnet18-{self.dataset_name}"


def smoke_config(cfg: Config) -> Config:
    """The `--smoke` variant: generated data at 32 px, random init, two short epochs."""
    return dataclasses.replace(
        cfg,
        smoke=True,
        dataset="synthetic",
        pretrained=False,
        epochs=2 if cfg.epochs == Config.epochs else cfg.epochs,
        img_size=32,
        batch_size=64 if cfg.batch_size == Config.batch_size else cfg.batch_size,
        lr=3e-3 if cfg.lr == Config.lr else cfg.lr,  # from scratch learns faster with a higher lr
        sample_table_size=min(cfg.sample_table_size, 20),
        val_table_size=min(cfg.val_table_size, 32),
    )


# Demo mode: what the notebook runs by default, sized for a live slot on a Colab T4 (the minutes
# are estimates from published numbers, not measured on a GPU here; see the notebook's first cell).
# FULL_RUN = True in the notebook (or the CLI without these presets) runs Config() as it is.
DEMO_SWEEP_TRIALS = 3  # live trials on stage; run the full sweep beforehand (cls-sweep --count 10)


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 10k of CIFAR-10's 50k images, 2 epochs (~1 min of training)."""
    return dataclasses.replace(cfg, max_train_samples=10_000, epochs=2)


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: a fifth of the demo run's budget (smoke: a CPU-sized trial)."""
    if cfg.smoke:
        return dataclasses.replace(cfg, epochs=1, max_train_samples=256)
    return dataclasses.replace(cfg, max_train_samples=5_000, epochs=1)


def demo_sweep_config(sweep_config: dict) -> dict:
    """The live sweep searches the full space: every trial is already short."""
    return sweep_config


def check_config(cfg: Config) -> None:
    """Fail fast, before any download, with one sentence the user can act on."""
    problem = (
        checks.one_of(cfg, "optimizer", OPTIMIZERS, called="옵티마이저")
        or checks.one_of(cfg, "dataset", DATASETS, called="데이터셋")
        or checks.not_positive(cfg, "lr")
        or checks.too_small(cfg, "epochs", "batch_size", "img_size", "max_train_samples")
        or checks.negative(cfg, "weight_decay")
        # ImageNet weights expect ~224 px; 1024 px is ~20x the memory per image of 224 px, and a
        # larger size only ends in an out-of-memory traceback after the data has loaded.
        or checks.too_large(cfg, "img_size", maximum=1024)
    )
    if problem:
        raise ConfigError(problem)
    if cfg.dataset == "imagefolder" and not cfg.data_dir.is_dir():
        raise ConfigError(
            f"--data-dir가 폴더가 아닙니다 — --data-dir {cfg.data_dir} is not a folder: "
            "ImageFolder expects DIR/<class>/<image>."
        )
