"""Every knob of the image-generation demo, with the reason for its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wb_common import checks
from wb_common.tasks import TASKS, collection_for

TASK = "image-generation"  # the W&B project, model type and Registry collection: wb_common.tasks
SD15 = "stable-diffusion-v1-5/stable-diffusion-v1-5"  # runwayml/stable-diffusion-v1-5 is gone
NARUTO = "lambdalabs/naruto-blip-captions"  # 1,221 images with BLIP captions, ~700 MB
TINY_MODEL = "gen-train/tiny-sd"  # the --smoke pipeline, built from configs (model.py)
DATASETS = ("naruto", "synthetic")

# The sample prompts (docs/tasks.md): the same ones, same seeds, every `sample_every` steps.
EVAL_PROMPTS = ["a naruto character with blue hair", "a village scene in anime style"]
# The final table covers more ground: people, animals, objects, a scene.
FINAL_PROMPTS = [
    "a naruto character with blue hair",
    "a village scene in anime style",
    "a man with a beard and glasses",
    "a cat wearing a headband",
    "a girl with pink hair smiling",
    "an old man with white hair",
]


class ConfigError(checks.ConfigError):
    """A setting the user can fix; the message is one sentence that says how."""


@dataclass(frozen=True)
class Config:
    dataset: Literal["naruto", "synthetic"] = "naruto"
    """데이터셋 / naruto downloads lambdalabs/naruto-blip-captions from the Hub; synthetic is
    generated."""
    base_model: str = SD15
    """기반 모델 / Hub id or local folder of a diffusers Stable Diffusion 1.x pipeline"""
    smoke: bool = False
    """스모크 모드 / Tiny pipeline built from configs, synthetic captions, a few steps: no network,
    no GPU."""

    train_steps: int = 500
    """학습 스텝 수 / ~6–8 min on a T4 at the published 1–1.5 it/s: a demo slot"""
    batch_size: int = 1
    """배치 크기 / what fits a T4 (16 GB) at 512 px in fp16 with activation checkpointing"""
    lr: float = 1e-4
    """학습률 / diffusers' LoRA example value; LoRA tolerates 10x full fine-tuning rates"""
    lr_warmup_steps: int = 0
    """워밍업 스텝 수 / constant lr, as in diffusers' train_text_to_image_lora.py"""
    max_grad_norm: float = 1.0
    """그래디언트 클리핑 한도 / clips the rare huge gradient of a high-noise timestep"""
    resolution: int = 512
    """해상도(px) / SD 1.5 was trained at 512 px; smaller images look worse, not faster"""
    lora_rank: int = 4
    """LoRA 랭크 / ~0.8M trainable parameters (0.1% of the UNet); enough for a style"""
    gradient_checkpointing: bool = True
    """그래디언트 체크포인팅 / ~30% slower, much less activation memory on a T4"""
    use_8bit_adam: bool = False
    """8비트 AdamW / bitsandbytes AdamW8bit; LoRA's optimizer state is tiny anyway"""
    max_train_samples: int | None = None
    """학습 샘플 상한 / subsample for a shorter demo; None = all 1,221"""
    val_samples: int = 16
    """검증용 샘플 수 / held out for val/loss (fixed noise and timesteps: comparable)"""
    seed: int = 0  # 난수 시드 / random seed

    eval_prompts: list[str] = field(default_factory=lambda: list(EVAL_PROMPTS))
    """학습 중 생성 프롬프트 / prompts for the `generated` snapshots"""
    final_prompts: list[str] = field(default_factory=lambda: list(FINAL_PROMPTS))
    """최종 생성 프롬프트 / prompts for the final images"""
    sample_every: int = 100
    """생성 이미지 간격(스텝) / steps between `generated` images: 6 snapshots over 500 steps"""
    num_inference_steps: int = 25
    """추론 스텝 수 / SD 1.5's PNDM is good at 25; a few s an image on a T4"""
    guidance_scale: float = 7.5  # 가이던스 스케일 / SD 1.5's usual classifier-free guidance
    sample_seed: int = 1234
    """생성 노이즈 시드 / the same noise for every snapshot: only the weights change"""
    checkpoint_every: int = 100
    """체크포인트 간격(스텝) / steps between resumable checkpoints (LoRA + optimizer, ~10 MB)"""

    sample_table_size: int = 16
    """데이터셋 미리보기 Table 행 수 / rows of the dataset-preview Table: captions' style at a
    glance"""
    output_dir: Path = Path("outputs/gen-train")  # 출력 폴더 / checkpoint.pt and the LoRA weights
    resume: bool = False
    """중단된 실행 이어서 학습 / continue the interrupted run in output_dir (same W&B run id)"""
    overwrite: bool = False
    """덮어쓰기: 다른 실행의 체크포인트를 지우고 새로 시작 / start afresh where another run's
    checkpoint is: deletes it"""
    # wandb-registry-model/<this>, alias staging; the task table names it (wb_common.tasks)
    registry_collection: str = TASKS[TASK].collection
    """Registry 컬렉션 / wandb-registry-model/<this>, alias staging; the task table names it
    (wb_common.tasks)"""
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
        """The dataset artifact's name: `naruto-blip-captions` or `synthetic-captions`."""
        return "synthetic-captions" if self.dataset == "synthetic" else "naruto-blip-captions"

    @property
    def model_name(self) -> str:
        return f"sd15-lora-{self.dataset_name}"


def smoke_config(cfg: Config) -> Config:
    """The `--smoke` variant: the tiny pipeline on generated shapes at 32 px, a few steps."""
    default = Config()

    def keep(name: str, smoke_value):  # a value the user changed wins over the smoke value
        value = getattr(cfg, name)
        return smoke_value if value == getattr(default, name) else value

    return dataclasses.replace(
        cfg,
        smoke=True,
        dataset="synthetic",
        base_model=TINY_MODEL,
        resolution=32,
        train_steps=keep("train_steps", 30),
        batch_size=keep("batch_size", 8),
        lr=keep("lr", 1e-2),  # a random tiny UNet barely moves at 1e-3 in 30 steps (measured)
        sample_every=keep("sample_every", 15),
        checkpoint_every=keep("checkpoint_every", 15),
        num_inference_steps=keep("num_inference_steps", 4),
        gradient_checkpointing=False,  # nothing to save at 32 px; keeps the CPU run fast
        eval_prompts=keep("eval_prompts", ["a red circle", "a blue square"]),
        final_prompts=keep(
            "final_prompts",
            ["a red circle", "a blue square", "a green triangle", "a yellow circle"],
        ),
        val_samples=keep("val_samples", 8),
        sample_table_size=min(cfg.sample_table_size, 8),
    )


# Demo mode: what the notebook runs by default, sized for a live slot on a Colab T4 (the minutes
# are estimates from published numbers, not measured on a GPU here; see the notebook's first cell).
# FULL_RUN = True in the notebook (or the CLI without these presets) runs Config() as it is.
DEMO_SWEEP_TRIALS = 2  # live trials on stage; run the full sweep beforehand (gen-sweep --count 4)


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 200 steps (~2.5-3.5 min at the published 1-1.5 it/s on a T4)."""
    return dataclasses.replace(cfg, train_steps=200, sample_every=50, max_train_samples=400)


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 60 steps, one final prompt (smoke: 32 images, one final prompt)."""
    if cfg.smoke:
        return dataclasses.replace(cfg, max_train_samples=32, final_prompts=cfg.final_prompts[:1])
    return dataclasses.replace(
        cfg,
        train_steps=60,
        sample_every=30,
        max_train_samples=200,
        final_prompts=cfg.final_prompts[:1],
    )


def demo_sweep_config(sweep_config: dict) -> dict:
    """Live, every trial trains 60 steps: the full sweep's 200-1000 steps take 3-15 min each."""
    return {
        **sweep_config,
        "parameters": {**sweep_config["parameters"], "train_steps": {"value": 60}},
    }


# Config fields that count something, so 1 or more.
COUNTS = (
    "train_steps", "batch_size", "lora_rank", "sample_every", "checkpoint_every",
    "num_inference_steps", "val_samples", "max_train_samples",
)  # fmt: skip


def check_config(cfg: Config) -> None:
    """Fail fast, before any download, with one sentence the user can act on (Korean, English)."""
    problem = (
        checks.one_of(cfg, "dataset", DATASETS, called="데이터셋")
        or checks.not_positive(cfg, "lr")
        or checks.too_small(cfg, *COUNTS)
        # SD 1.5 was trained at 512 px; at 1024 px it already repeats subjects and needs ~4x the
        # memory, and a larger size only ends out of memory after the download.
        or checks.too_large(cfg, "resolution", maximum=1024)
    )
    if problem:
        raise ConfigError(problem)
    if cfg.resolution < 8 or cfg.resolution % 8:
        raise ConfigError(
            "resolution은 8의 배수여야 합니다 — "
            f"resolution must be a multiple of 8 (the VAE's factor), got {cfg.resolution}."
        )
    if not cfg.eval_prompts or not cfg.final_prompts:
        raise ConfigError(
            "프롬프트가 하나 이상 있어야 합니다 — "
            "eval_prompts and final_prompts need at least one prompt each."
        )
