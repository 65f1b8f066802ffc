"""Console entry points: `det-train` and `det-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.checkpoint import ResumeError
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.sweep import SweepError

from det_train.checkpoint import LAST_CHECKPOINT
from det_train.config import Config, ConfigError, check_config, smoke_config
from det_train.data import DataError
from det_train.model import WeightsDownloadError

# The errors a user can cause: each ends the program with its one-sentence message, no traceback.
USER_ERRORS = (ConfigError, DataError, ResumeError, WeightsDownloadError, SweepError)
# A run's checkpoint (Ultralytics' own) in --output-dir: continue it (--resume) or --overwrite.
CHECKPOINTS = (LAST_CHECKPOINT.as_posix(),)


def train_main() -> None:
    from det_train.train import train

    with argument_errors("det-train"):
        cfg = tyro.cli(Config, prog="det-train", description="Fine-tune YOLOv8n with W&B tracking.")
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    train_or_exit(
        "det-train", train, cfg, errors=USER_ERRORS, checkpoints=CHECKPOINTS, check=check_config
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
    from det_train.sweep import sweep

    with argument_errors("det-sweep"):
        args = tyro.cli(SweepArgs, prog="det-sweep", description="Sweep lr0, imgsz, augmentation.")
    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "det-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=USER_ERRORS
    )


if __name__ == "__main__":
    train_main()
