"""Every knob of the Korean instruction-tuning demo, with the reason for its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from wb_common import checks
from wb_common.tasks import TASKS, collection_for

TASK = "llm-finetuning"  # the W&B project, model type and Registry collection: wb_common.tasks
BASE_MODEL = "Qwen/Qwen3-4B"
DATASET_ID = "beomi/KoAlpaca-v1.1a"
SMOKE_BASE_MODEL = (
    "tiny-qwen3-smoke"  # the `--smoke` stand-in: built from a config, never downloaded
)

# Asked before and after fine-tuning, by the base model and by the adapter (the comparison Table).
SAMPLE_PROMPTS = (
    "대한민국의 수도는 어디인가요?",
    "김치는 어떤 음식인가요?",
    "머신러닝이 무엇인가요?",
    "LoRA가 무엇인가요?",
    "감사 인사를 해 주세요.",
)


class ConfigError(checks.ConfigError):
    """A setting the user can fix; the message is one sentence that says how."""


@dataclass(frozen=True)
class Config:
    base_model: str = BASE_MODEL
    """기반 모델 / a Hub id or a local folder; Qwen3's chat template is required"""
    dataset: str = DATASET_ID  # 데이터셋 / a Hub dataset with `instruction` / `output` columns
    smoke: bool = False
    """스모크 모드 / Tiny Qwen3 from a config, in-memory tokenizer, bundled Korean pairs: CPU;
    ~45 s of CPU time (README: measured)."""

    max_train_samples: int = 1000
    """학습 샘플 상한 / ~15-25 min for one epoch on a Colab T4 (README: an estimate)"""
    eval_samples: int = 100
    """평가용 샘플 수 / held-out pairs for eval/loss and eval/perplexity (~30 s per eval)"""
    max_seq_len: int = 512
    """최대 시퀀스 길이 / covers most KoAlpaca pairs; longer ones are cut at the end"""
    epochs: int = 1
    """에폭 수 / one pass over 1000 pairs fits a demo slot; the planned 3 epochs take ~1 h"""
    lr: float = 2e-4  # 학습률 / the QLoRA paper's rate for 7B-class models with r=16 adapters
    batch_size: int = 4
    """장치당 배치 크기 / per device; 4 x 512 tokens of a 4-bit 4B model fits a T4's 15 GB"""
    grad_accum: int = 4
    """그래디언트 누적 단계 / effective batch 16 (QLoRA paper), without the memory of batch 16"""
    warmup_ratio: float = 0.03
    """워밍업 비율 / a few warm-up steps keep the fresh adapters from a bad first step"""
    lora_r: int = 16  # LoRA 랭크 / adapter rank; 8-64 all work, 16 is the QLoRA paper's default
    lora_alpha: int = 32  # LoRA 알파 / scale alpha/r = 2, the usual choice with r=16
    lora_dropout: float = 0.05  # LoRA 드롭아웃 / the QLoRA paper's value for models under 13B
    lora_target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    """LoRA를 붙일 층 / every linear layer: the QLoRA paper found attention-only adapters fall
    short"""
    load_in_4bit: bool = True
    """4비트 양자화 / NF4 + double quantisation: 4B weights in ~2.5 GB instead of 8 GB"""
    activation_checkpointing: bool = True
    """활성값 재계산 / recompute activations: 512-token batches fit a T4"""
    logging_steps: int = 5
    """손실 기록 간격(스텝) / train/loss points: a smooth curve on ~60 optimizer steps"""
    eval_steps: int = 20
    """평가 간격(스텝) / three evaluations in one epoch of 1000 pairs, plus one before training"""
    save_steps: int = 20
    """체크포인트 간격(스텝) / a checkpoint for --resume at most 20 steps (~5 min on a T4) behind"""
    max_new_tokens: int = 128
    """생성 토큰 수 / answer length in the before/after Table; longer is slow on a T4"""
    sample_table_size: int = 20
    """데이터셋 미리보기 Table 행 수 / rows of the dataset-preview Table: a screenful of pairs"""
    seed: int = 0  # 난수 시드 / random seed

    output_dir: Path = Path("outputs/llm-train")  # 출력 폴더 / checkpoints and the final adapter
    resume: bool = False
    """중단된 실행 이어서 학습 / continue from the last checkpoint in output_dir (same W&B run
    id)"""
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
    sample_prompts: tuple[str, ...] = field(default=SAMPLE_PROMPTS)
    """학습 전후 비교 프롬프트 / prompts of the before/after Table"""

    @property
    def collection(self) -> str:
        """Where the model links: `registry_collection`, or `<it>-smoke` for smoke runs."""
        return collection_for(self.registry_collection, smoke=self.smoke)

    @property
    def dataset_name(self) -> str:
        """The dataset artifact's name: `koalpaca-v1.1a` or `ko-instructions-smoke`."""
        if self.smoke:
            return "ko-instructions-smoke"
        return self.dataset.split("/")[-1].lower()

    @property
    def model_name(self) -> str:
        """The adapter artifact's name, `<model>-<dataset>` (docs/architecture.md)."""
        base = "tiny-qwen3" if self.smoke else self.base_model.rstrip("/").split("/")[-1].lower()
        return f"{base}-lora-{self.dataset_name}"


def smoke_config(cfg: Config) -> Config:
    """The `--smoke` variant: the bundled pairs, a tiny Qwen3, a few CPU steps."""

    def keep_or(name: str, smoke_value):  # a flag the user set explicitly still wins
        value = getattr(cfg, name)
        return smoke_value if value == getattr(Config, name) else value

    return dataclasses.replace(
        cfg,
        smoke=True,
        base_model=SMOKE_BASE_MODEL,
        max_train_samples=keep_or("max_train_samples", 34),
        eval_samples=keep_or("eval_samples", 8),
        max_seq_len=keep_or("max_seq_len", 128),
        epochs=keep_or("epochs", 2),  # 2 x 5 steps: loss visibly falls, the test stays short
        lr=keep_or("lr", 1e-2),  # a random tiny model needs big steps to move in 10 steps
        batch_size=keep_or("batch_size", 8),
        grad_accum=keep_or("grad_accum", 1),
        logging_steps=keep_or("logging_steps", 2),
        eval_steps=keep_or("eval_steps", 5),
        save_steps=keep_or("save_steps", 5),
        max_new_tokens=keep_or("max_new_tokens", 12),
        sample_prompts=cfg.sample_prompts[:3],
    )


# Demo mode: what the notebook runs by default, sized for a live slot on a Colab T4 (the minutes
# are estimates from published numbers, not measured on a GPU here; see the notebook's first cell).
# FULL_RUN = True in the notebook (or the CLI without these presets) runs Config() as it is.
DEMO_SWEEP_TRIALS = 2  # live trials on stage; run the full sweep beforehand (llm-sweep --count 4)


def demo_config(cfg: Config) -> Config:
    """The notebook's demo run: 200 pairs, one epoch (~1/5 of the README's 15-25 min estimate)."""
    return dataclasses.replace(
        cfg, max_train_samples=200, eval_samples=40, eval_steps=5, save_steps=5, logging_steps=2,
        max_new_tokens=64,
    )  # fmt: skip


def demo_trial_config(cfg: Config) -> Config:
    """One live sweep trial: 64 pairs, short evaluations and answers (smoke: 8 pairs)."""
    if cfg.smoke:
        return dataclasses.replace(cfg, max_train_samples=8, eval_samples=4, max_new_tokens=4)
    return dataclasses.replace(
        cfg, max_train_samples=64, eval_samples=20, eval_steps=2, save_steps=2, max_new_tokens=32
    )


def demo_sweep_config(sweep_config: dict) -> dict:
    """Live, one epoch and 256 tokens a pair: a second epoch would double every trial."""
    parameters = {**sweep_config["parameters"]}
    parameters.update(epochs={"value": 1}, max_seq_len={"value": 256})
    return {**sweep_config, "parameters": parameters}


# Config fields that count something, so 1 or more.
COUNTS = (
    "epochs", "batch_size", "grad_accum", "lora_r", "lora_alpha", "max_new_tokens",
    "logging_steps", "eval_steps", "save_steps", "max_train_samples", "eval_samples",
)  # fmt: skip


def check_config(cfg: Config) -> None:
    """Fail fast, before any download, with one sentence the user can act on (Korean, English)."""
    problem = (
        checks.not_positive(cfg, "lr")
        or checks.too_small(cfg, *COUNTS)
        # Qwen3's context window is 32768 tokens: a longer sequence has no trained positions.
        or checks.too_large(cfg, "max_seq_len", maximum=32768)
    )
    if problem:
        raise ConfigError(problem)
    if cfg.max_seq_len < 32:
        raise ConfigError(
            "max_seq_len은 32토큰 이상이어야 합니다 — "
            f"max_seq_len must be at least 32 tokens, got {cfg.max_seq_len}."
        )
    if not 0 <= cfg.lora_dropout < 1:
        raise ConfigError(
            "lora_dropout은 0 이상 1 미만이어야 합니다 — "
            f"lora_dropout must be in [0, 1), got {cfg.lora_dropout}."
        )
    if not cfg.lora_target_modules:
        raise ConfigError(
            "LoRA를 붙일 층을 하나 이상 지정하세요 — "
            "lora_target_modules must name at least one layer, e.g. q_proj."
        )
    if not cfg.sample_prompts:
        raise ConfigError(
            "생성 비교용 프롬프트가 하나 이상 있어야 합니다 — "
            "sample_prompts must hold at least one prompt for the before/after Table."
        )
