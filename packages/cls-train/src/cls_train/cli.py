"""Console entry points: `cls-train` and `cls-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from cls_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from cls_train.config import ConfigError
    from cls_train.data import DataError
    from cls_train.model import WeightsDownloadError

    return (ConfigError, DataError, WeightsDownloadError)


def train_main() -> None:
    train_command(
        "cls-train",
        Config,
        description="이미지 분류: ResNet-18 파인튜닝, W&B 기록 / "
        "Fine-tune ResNet-18 with W&B tracking.",
        train="cls_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (synthetic data, CPU)
    sweep_id: SweepId = None


def sweep_main() -> None:
    sweep_command(
        "cls-sweep",
        SweepArgs,
        description="이미지 분류 스윕: lr, 배치 크기, 옵티마이저 / "
        "Sweep lr, batch size, optimizer.",
        sweep="cls_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
    )


if __name__ == "__main__":  # `accelerate launch -m cls_train.cli ...`
    train_main()
