"""Console entry points: `det-train` and `det-sweep`. Every Config field is a flag."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import tyro
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.summary import print_closing_block

from det_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause: each ends the program with its one-sentence message, no
    traceback. Imported once a command runs: data and model load torch, `--help` must not."""
    from wb_common.checkpoint import ResumeError
    from wb_common.sweep import SweepError

    from det_train.config import ConfigError
    from det_train.data import DataError
    from det_train.model import WeightsDownloadError

    return (ConfigError, DataError, ResumeError, WeightsDownloadError, SweepError)


# Ultralytics' argument list (`engine/trainer: task=detect, ...`) and its layer-by-layer model
# table: dozens of lines before the first epoch. Off unless --verbose; its progress stays.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DUMP = re.compile(
    r"\s*(engine/trainer: |from\s+n\s+params\s+module"
    r"|\d+\s+(-?\d+|\[[^\]]*\])\s+\d+\s+\d+\s+(ultralytics|torch)\.)"
)


class QuietUltralytics(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _DUMP.match(_ANSI.sub("", record.getMessage()))


def quiet_ultralytics(verbose: bool) -> None:
    """Drop the argument dump and model table from the `ultralytics` logger (not its import)."""
    logger = logging.getLogger("ultralytics")
    if not verbose and not any(isinstance(f, QuietUltralytics) for f in logger.filters):
        logger.addFilter(QuietUltralytics())


def train_main() -> None:
    with argument_errors("det-train"):
        cfg = tyro.cli(
            Config,
            prog="det-train",
            description="객체 탐지: YOLOv8n 파인튜닝, W&B 기록 / "
            "Fine-tune YOLOv8n with W&B tracking.",
        )
    from det_train.train import train  # torch loads after parsing: --help stays fast

    quiet_ultralytics(cfg.verbose)

    from det_train.checkpoint import LAST_CHECKPOINT

    checkpoints = (LAST_CHECKPOINT.as_posix(),)  # Ultralytics' own: --resume it or --overwrite
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    result = train_or_exit(
        "det-train", train, cfg, errors=user_errors(), checkpoints=checkpoints, check=check_config
    )
    print_closing_block("det-train", result)


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False
    """스모크 모드 스윕 / sweep the smoke setup (synthetic data, CPU, small images)"""
    sweep_id: str | None = None
    """이 W&B 스윕에 에이전트로 참여 / ENTITY/PROJECT/ID: join that W&B sweep as one more agent;
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    with argument_errors("det-sweep"):
        args = tyro.cli(
            SweepArgs,
            prog="det-sweep",
            description="객체 탐지 스윕: lr0, imgsz, 증강 / Sweep lr0, imgsz, augmentation.",
        )
    from det_train.sweep import sweep  # torch loads after parsing: --help stays fast

    quiet_ultralytics(args.config.verbose)

    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "det-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=user_errors()
    )


if __name__ == "__main__":
    train_main()
