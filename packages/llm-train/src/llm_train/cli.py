"""Console entry points: `llm-train` and `llm-sweep`. Every Config field is a flag."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from llm_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from llm_train.config import ConfigError
    from llm_train.data import DataError
    from llm_train.model import ModelDownloadError

    return (ConfigError, DataError, ModelDownloadError)


def checkpoints() -> tuple[str, ...]:
    """The Trainer's own checkpoint folders, not checkpoint.pt (transformers loads here)."""
    from llm_train.checkpoint import CHECKPOINT_DIR, TRAINER_STATE

    return (f"{CHECKPOINT_DIR}/checkpoint-*/{TRAINER_STATE}",)


class NoKernelsHint(logging.Filter):
    """bitsandbytes' CPU backend, on import on a CPU with AVX512-BF16, tries the optional Hub
    kernel and warns "pip install kernels" when it is missing; its own CPU path then runs, so
    nothing is wrong. That one warning is dropped unless --verbose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pip install kernels" not in record.getMessage()


def quiet_kernels_hint(verbose: bool) -> None:
    logger = logging.getLogger("bitsandbytes.backends.cpu.ops")  # before bitsandbytes loads
    if not verbose and not any(isinstance(f, NoKernelsHint) for f in logger.filters):
        logger.addFilter(NoKernelsHint())


def train_main() -> None:
    train_command(
        "llm-train",
        Config,
        description="LLM 파인튜닝: Qwen3-4B QLoRA, W&B 기록 / "
        "QLoRA-tune Qwen3-4B with W&B tracking.",
        train="llm_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
        checkpoints=checkpoints,
        before=lambda cfg: quiet_kernels_hint(cfg.verbose),  # before bitsandbytes loads
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 4  # 시도 수 / trials; each is a full QLoRA run (~15 min on a T4 at the defaults)
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (tiny Qwen3, bundled pairs, CPU)
    sweep_id: SweepId = None


def sweep_main() -> None:
    sweep_command(
        "llm-sweep",
        SweepArgs,
        description="LLM 파인튜닝 스윕: lora_r, lr, epochs, max_seq_len / "
        "Sweep lora_r, lr, epochs and max_seq_len.",
        sweep="llm_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
        before=lambda cfg: quiet_kernels_hint(cfg.verbose),  # before bitsandbytes loads
    )


if __name__ == "__main__":  # `accelerate launch -m llm_train.cli ...`
    train_main()
