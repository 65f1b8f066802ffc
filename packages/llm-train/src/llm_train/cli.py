"""Console entry points: `llm-train` and `llm-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.checkpoint import ResumeError
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.sweep import SweepError

from llm_train.config import Config, ConfigError, check_config, smoke_config
from llm_train.data import DataError
from llm_train.model import ModelDownloadError

# The errors a user can cause: each ends the program with its one-sentence message, no traceback.
USER_ERRORS = (ConfigError, DataError, ResumeError, ModelDownloadError, SweepError)


def train_main() -> None:
    from llm_train.train import train

    with argument_errors("llm-train"):
        cfg = tyro.cli(
            Config, prog="llm-train", description="QLoRA-tune Qwen3-4B with W&B tracking."
        )
    from llm_train.checkpoint import CHECKPOINT_DIR, TRAINER_STATE

    checkpoints = (f"{CHECKPOINT_DIR}/checkpoint-*/{TRAINER_STATE}",)  # the Trainer's own
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    train_or_exit(
        "llm-train", train, cfg, errors=USER_ERRORS, checkpoints=checkpoints, check=check_config
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 4  # trials; each is a full QLoRA run (~15 min on a T4 at the defaults)
    smoke: bool = False  # sweep the smoke setup (tiny Qwen3, bundled pairs, CPU)
    sweep_id: str | None = None
    """ENTITY/PROJECT/ID: join that W&B sweep as one more agent (several GPUs or machines);
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    from llm_train.sweep import sweep

    with argument_errors("llm-sweep"):
        args = tyro.cli(
            SweepArgs, prog="llm-sweep", description="Sweep lora_r, lr, epochs and max_seq_len."
        )
    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "llm-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=USER_ERRORS
    )


if __name__ == "__main__":  # `accelerate launch -m llm_train.cli ...`
    train_main()
