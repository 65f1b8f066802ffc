"""Console entry points: `gen-train` and `gen-sweep`. Every Config field is a flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from wb_common.entry import SweepId, sweep_command, train_command

from gen_train.config import Config, check_config, smoke_config


def user_errors() -> tuple[type[BaseException], ...]:
    """This task's errors a user can cause, imported after parsing (data and model load torch)."""
    from gen_train.config import ConfigError
    from gen_train.data import DataError
    from gen_train.model import ModelDownloadError

    return (ConfigError, DataError, ModelDownloadError)


def train_main() -> None:
    train_command(
        "gen-train",
        Config,
        description="이미지 생성: Stable Diffusion 1.5 LoRA 파인튜닝, W&B 기록 / "
        "Fine-tune Stable Diffusion 1.5 with LoRA, in W&B.",
        train="gen_train.train:train",
        smoke_config=smoke_config,
        check_config=check_config,
        errors=user_errors,
    )


@dataclass(frozen=True)
class SweepArgs:
    config: Config = field(default_factory=Config)
    count: int = 8  # 시도 수 / trials; each is a full training run (~3–12 min on a T4)
    smoke: bool = False
    """스모크 모드 스윕 / sweep the smoke setup (tiny pipeline, synthetic captions, CPU)"""
    sweep_id: SweepId = None


def sweep_main() -> None:
    sweep_command(
        "gen-sweep",
        SweepArgs,
        description="이미지 생성 스윕: lr, lora_rank, train_steps / "
        "Sweep lr, lora_rank, train_steps.",
        sweep="gen_train.sweep:sweep",
        smoke_config=smoke_config,
        errors=user_errors,
    )


if __name__ == "__main__":  # `accelerate launch -m gen_train.cli ...`
    train_main()
