"""Console entry points: `cls-train` and `cls-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.summary import print_closing_block

from cls_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause: each ends the program with its one-sentence message, no
    traceback. Imported once a command runs: data and model load torch, `--help` must not."""
    from wb_common.checkpoint import ResumeError
    from wb_common.sweep import SweepError

    from cls_train.config import ConfigError
    from cls_train.data import DataError
    from cls_train.model import WeightsDownloadError

    return (ConfigError, DataError, ResumeError, WeightsDownloadError, SweepError)


def train_main() -> None:
    with argument_errors("cls-train"):
        cfg = tyro.cli(
            Config,
            prog="cls-train",
            description="이미지 분류: ResNet-18 파인튜닝, W&B 기록 / "
            "Fine-tune ResNet-18 with W&B tracking.",
        )
    from wb_common.checkpoint import CHECKPOINT_FILE

    from cls_train.train import train  # torch loads after parsing: --help stays fast

    checkpoints = (CHECKPOINT_FILE,)  # a run is in --output-dir: --resume it or --overwrite
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    result = train_or_exit(
        "cls-train", train, cfg, errors=user_errors(), checkpoints=checkpoints, check=check_config
    )
    print_closing_block("cls-train", result)


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (synthetic data, CPU)
    sweep_id: str | None = None
    """이 W&B 스윕에 에이전트로 참여 / ENTITY/PROJECT/ID: join that W&B sweep as one more agent;
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    with argument_errors("cls-sweep"):
        args = tyro.cli(
            SweepArgs,
            prog="cls-sweep",
            description="이미지 분류 스윕: lr, 배치 크기, 옵티마이저 / "
            "Sweep lr, batch size, optimizer.",
        )
    from cls_train.sweep import sweep  # torch loads after parsing: --help stays fast

    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "cls-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=user_errors()
    )


if __name__ == "__main__":  # `accelerate launch -m cls_train.cli ...`
    train_main()
