"""Console entry points: `seg-train` and `seg-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.checkpoint import CHECKPOINT_FILE, ResumeError
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.sweep import SweepError

from seg_train.config import Config, ConfigError, check_config, smoke_config
from seg_train.data import DataError
from seg_train.model import WeightsDownloadError

# The errors a user can cause: each ends the program with its one-sentence message, no traceback.
USER_ERRORS = (ConfigError, DataError, ResumeError, WeightsDownloadError, SweepError)
CHECKPOINTS = (CHECKPOINT_FILE,)  # a run is in --output-dir: continue it (--resume) or --overwrite


def train_main() -> None:
    from seg_train.train import train

    with argument_errors("seg-train"):
        cfg = tyro.cli(
            Config,
            prog="seg-train",
            description="Fine-tune DeepLabV3-MobileNetV3 with W&B tracking.",
        )
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    train_or_exit(
        "seg-train", train, cfg, errors=USER_ERRORS, checkpoints=CHECKPOINTS, check=check_config
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # trials; bayes needs ~10 to beat random search
    smoke: bool = False  # sweep the smoke setup (synthetic data, CPU, small images)
    sweep_id: str | None = None
    """ENTITY/PROJECT/ID: join that W&B sweep as one more agent (several GPUs or machines);
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    from seg_train.sweep import sweep

    with argument_errors("seg-sweep"):
        args = tyro.cli(
            SweepArgs, prog="seg-sweep", description="Sweep lr, backbone freezing, image size."
        )
    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "seg-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=USER_ERRORS
    )


if __name__ == "__main__":  # `accelerate launch -m seg_train.cli ...`
    train_main()
