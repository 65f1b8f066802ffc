"""Console entry points: `gen-train` and `gen-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.checkpoint import CHECKPOINT_FILE, ResumeError
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.sweep import SweepError

from gen_train.config import Config, ConfigError, check_config, smoke_config
from gen_train.data import DataError
from gen_train.model import ModelDownloadError

# The errors a user can cause: each ends the program with its one-sentence message, no traceback.
USER_ERRORS = (ConfigError, DataError, ResumeError, ModelDownloadError, SweepError)
CHECKPOINTS = (CHECKPOINT_FILE,)  # a run is in --output-dir: continue it (--resume) or --overwrite


def train_main() -> None:
    from gen_train.train import train

    with argument_errors("gen-train"):
        cfg = tyro.cli(
            Config,
            prog="gen-train",
            description="Fine-tune Stable Diffusion 1.5 with LoRA, in W&B.",
        )
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    train_or_exit(
        "gen-train", train, cfg, errors=USER_ERRORS, checkpoints=CHECKPOINTS, check=check_config
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 8  # trials; each is a full training run (~3–12 min on a T4)
    smoke: bool = False  # sweep the smoke setup (tiny pipeline, synthetic captions, CPU)
    sweep_id: str | None = None
    """ENTITY/PROJECT/ID: join that W&B sweep as one more agent (several GPUs or machines);
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    from gen_train.sweep import sweep

    with argument_errors("gen-sweep"):
        args = tyro.cli(
            SweepArgs, prog="gen-sweep", description="Sweep lr, lora_rank, train_steps."
        )
    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "gen-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=USER_ERRORS
    )


if __name__ == "__main__":  # `accelerate launch -m gen_train.cli ...`
    train_main()
