"""Console entry points: `seg-train` and `seg-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from seg_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from seg_train.config import ConfigError
    from seg_train.data import DataError
    from seg_train.model import WeightsDownloadError

    return (ConfigError, DataError, WeightsDownloadError)


def train_main() -> None:
    train_command(
        "seg-train",
        Config,
        description="이미지 분할: DeepLabV3-MobileNetV3 파인튜닝, W&B 기록 / "
        "Fine-tune DeepLabV3-MobileNetV3 with W&B tracking.",
        train="seg_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
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
        "seg-sweep",
        SweepArgs,
        description="이미지 분할 스윕: lr, 백본 고정, 이미지 크기 / "
        "Sweep lr, backbone freezing, image size.",
        sweep="seg_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
    )


if __name__ == "__main__":  # `accelerate launch -m seg_train.cli ...`
    train_main()
