"""Console entry points: `video-train` and `video-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from video_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from video_train.config import ConfigError
    from video_train.data import DataError
    from video_train.model import WeightsDownloadError

    return (ConfigError, DataError, WeightsDownloadError)


def train_main() -> None:
    train_command(
        "video-train",
        Config,
        description="동영상 분류: R3D-18 파인튜닝, W&B 기록 / Fine-tune R3D-18 with W&B tracking.",
        train="video_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (synthetic videos, CPU)
    sweep_id: SweepId = None


def sweep_main() -> None:
    sweep_command(
        "video-sweep",
        SweepArgs,
        description="동영상 분류 스윕: num_frames, lr, clip_duration / "
        "Sweep num_frames, lr and clip_duration.",
        sweep="video_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
    )


if __name__ == "__main__":  # `accelerate launch -m video_train.cli ...`
    train_main()
