"""Console entry points: `det-train` and `det-sweep`. Every Config field is a flag."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from det_train.checkpoint import LAST_CHECKPOINT
from det_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from det_train.config import ConfigError
    from det_train.data import DataError
    from det_train.model import WeightsDownloadError

    return (ConfigError, DataError, WeightsDownloadError)


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
    train_command(
        "det-train",
        Config,
        description="객체 탐지: YOLOv8n 파인튜닝, W&B 기록 / Fine-tune YOLOv8n with W&B tracking.",
        train="det_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
        checkpoints=lambda: (LAST_CHECKPOINT.as_posix(),),  # Ultralytics' own, not checkpoint.pt
        before=lambda cfg: quiet_ultralytics(
            cfg.verbose
        ),  # its argument dump: off unless --verbose
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False
    """스모크 모드 스윕 / sweep the smoke setup (synthetic data, CPU, small images)"""
    sweep_id: SweepId = None


def sweep_main() -> None:
    sweep_command(
        "det-sweep",
        SweepArgs,
        description="객체 탐지 스윕: lr0, imgsz, 증강 / Sweep lr0, imgsz, augmentation.",
        sweep="det_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
        before=lambda cfg: quiet_ultralytics(
            cfg.verbose
        ),  # its argument dump: off unless --verbose
    )


if __name__ == "__main__":  # `python -m det_train.cli ...`
    train_main()
