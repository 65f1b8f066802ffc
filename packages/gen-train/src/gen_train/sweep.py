"""`gen-sweep`: the ROADMAP's sweep over lr, lora_rank and train_steps, then the comparison Report.

uv run --package gen-train gen-sweep --smoke --count 3     # offline: W&B's engine, locally
uv run --package gen-train gen-sweep --count 8             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from wb_common import SweepResult, create_report, report_spec, run_sweep
from wb_common.sweep import params_slug

from gen_train.config import Config, check_config
from gen_train.train import TASK, TrainResult, train

# val/loss, not train/loss: it uses fixed held-out images, noise and timesteps, so two trials
# differ only by what they learned. A style is judged by eye in the `generated` panels too.
SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "val/loss", "goal": "minimize"},
    "parameters": {
        "lr": {"min": 1e-5, "max": 1e-3, "distribution": "log_uniform_values"},
        "lora_rank": {"values": [4, 8, 16]},
        "train_steps": {"values": [200, 500, 1000]},
    },
}
SMOKE_TRAIN_STEPS = [4, 8]  # --smoke: the same sweep, with steps a CPU does in seconds


def sweep_config_for(cfg: Config) -> dict[str, Any]:
    """SWEEP_CONFIG, with `train_steps` a CPU can afford when `cfg` is a smoke config."""
    if not cfg.smoke:
        return SWEEP_CONFIG
    config = copy.deepcopy(SWEEP_CONFIG)
    config["parameters"]["train_steps"] = {"values": SMOKE_TRAIN_STEPS}
    config["parameters"]["lr"] = {"min": 1e-3, "max": 3e-2, "distribution": "log_uniform_values"}
    return config


def run_trial(base: Config, params: dict[str, Any], group: str) -> TrainResult:
    """One sweep trial: the base config with the suggested parameters, in the sweep's group."""
    cfg = dataclasses.replace(
        base,
        **params,
        group=group,
        output_dir=base.output_dir / group / f"trial-{params_slug(params)}",
        resume=False,
    )
    # Sample at the end of each trial only: a sweep compares final results, and sampling is slow.
    cfg = dataclasses.replace(cfg, sample_every=cfg.train_steps, checkpoint_every=cfg.train_steps)
    return train(cfg)


def sweep(base: Config, count: int, sweep_config: dict[str, Any] | None = None) -> SweepResult:
    """Run `count` trials, then publish (online) or queue (offline) the comparison Report."""
    check_config(base)
    sweep_config = sweep_config or sweep_config_for(base)
    result = run_sweep(
        sweep_config,
        lambda params, group: run_trial(base, params, group),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
    )
    spec = report_spec(
        TASK,
        title="SD 1.5 LoRA (나루토 스타일): 하이퍼파라미터 스윕 비교",
        description=(
            f"스윕 그룹 {result.group}의 실험 {len(result.trials)}개를 val/loss 기준으로 "
            "비교합니다. 생성 이미지는 각 run의 generated 패널에서 확인하세요. "
            "Compares the sweep's trials on val/loss: loss curves, parallel coordinates, "
            "parameter importance; see each run's generated panel for the images."
        ),
        metric=sweep_config["metric"]["name"],
        params=list(sweep_config["parameters"]),
        line_metrics=["train/loss", "val/loss"],
        x_axis="train/step",
        group=result.group,
    )
    best = result.best
    create_report(spec, run_dir=best.run_dir if best else None)
    return result
