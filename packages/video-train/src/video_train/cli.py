"""Console entry points: `video-train` and `video-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

import tyro
from wb_common.entry import argument_errors, run_or_exit, train_or_exit
from wb_common.summary import print_closing_block

from video_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause: each ends the program with its one-sentence message, no
    traceback. Imported once a command runs: data and model load torch, `--help` must not."""
    from wb_common.checkpoint import ResumeError
    from wb_common.sweep import SweepError

    from video_train.config import ConfigError
    from video_train.data import DataError
    from video_train.model import WeightsDownloadError

    return (ConfigError, DataError, ResumeError, WeightsDownloadError, SweepError)


def train_main() -> None:
    with argument_errors("video-train"):
        cfg = tyro.cli(
            Config,
            prog="video-train",
            description="동영상 분류: R3D-18 파인튜닝, W&B 기록 / "
            "Fine-tune R3D-18 with W&B tracking.",
        )
    from wb_common.checkpoint import CHECKPOINT_FILE

    from video_train.train import train  # torch loads after parsing: --help stays fast

    checkpoints = (CHECKPOINT_FILE,)  # a run is in --output-dir: --resume it or --overwrite
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    result = train_or_exit(
        "video-train", train, cfg, errors=user_errors(), checkpoints=checkpoints, check=check_config
    )
    print_closing_block("video-train", result)


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 10  # 시도 수 / trials; bayes needs ~10 to beat random search
    smoke: bool = False  # 스모크 모드 스윕 / sweep the smoke setup (synthetic videos, CPU)
    sweep_id: str | None = None
    """이 W&B 스윕에 에이전트로 참여 / ENTITY/PROJECT/ID: join that W&B sweep as one more agent;
    then `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."""


def sweep_main() -> None:
    with argument_errors("video-sweep"):
        args = tyro.cli(
            SweepArgs,
            prog="video-sweep",
            description="동영상 분류 스윕: num_frames, lr, clip_duration / "
            "Sweep num_frames, lr and clip_duration.",
        )
    from video_train.sweep import sweep  # torch loads after parsing: --help stays fast

    base = smoke_config(args.config) if args.smoke or args.config.smoke else args.config
    run_or_exit(
        "video-sweep", lambda: sweep(base, args.count, sweep_id=args.sweep_id), errors=user_errors()
    )


if __name__ == "__main__":  # `accelerate launch -m video_train.cli ...`
    train_main()
