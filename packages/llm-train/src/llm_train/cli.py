"""Console entry points: `llm-train` and `llm-sweep`. Every Config field is a flag."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import tyro
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.summary import print_closing_block

from llm_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause: each ends the program with its one-sentence message, no
    traceback. Imported once a command runs: data and model load torch, `--help` must not."""
    from wb_common.checkpoint import ResumeError
    from wb_common.sweep import SweepError

    from llm_train.config import ConfigError
    from llm_train.data import DataError
    from llm_train.model import ModelDownloadError

    return (ConfigError, DataError, ResumeError, ModelDownloadError, SweepError)


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
    with argument_errors("llm-train"):
        cfg = tyro.cli(
            Config,
            prog="llm-train",
            description="LLM 파인튜닝: Qwen3-4B QLoRA, W&B 기록 / "
            "QLoRA-tune Qwen3-4B with W&B tracking.",
        )
    quiet_kernels_hint(cfg.verbose)
    from llm_train.checkpoint import CHECKPOINT_DIR, TRAINER_STATE
    from llm_train.train import train  # torch loads after parsing: --help stays fast

    checkpoints = (f"{CHECKPOINT_DIR}/checkpoint-*/{TRAINER_STATE}",)  # the Trainer's own
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    result = train_or_exit(
        "llm-train", train, cfg, errors=user_errors(), checkpoints=checkpoints, check=check_config
    )
    print_closing_block("llm-train", result)


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 4  # 시도 수 / trials; each is a full QLoRA run (~15 min on a T4 at the defaults)
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (tiny Qwen3, bundled pairs, CPU)
    sweep_id: str | None = None
    """이 W&B 스윕에 에이전트로 참여 / ENTITY/PROJECT/ID: join that W&B sweep as one more agent;
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    with argument_errors("llm-sweep"):
        args = tyro.cli(
            SweepArgs,
            prog="llm-sweep",
            description="LLM 파인튜닝 스윕: lora_r, lr, epochs, max_seq_len / "
            "Sweep lora_r, lr, epochs and max_seq_len.",
        )
    quiet_kernels_hint(args.config.verbose)
    from llm_train.sweep import sweep  # torch loads after parsing: --help stays fast

    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "llm-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=user_errors()
    )


if __name__ == "__main__":  # `accelerate launch -m llm_train.cli ...`
    train_main()
