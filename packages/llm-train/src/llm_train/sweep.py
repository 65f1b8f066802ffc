"""`llm-sweep`: lora_r, lr, epochs and max_seq_len (ROADMAP), then the comparison Report.

uv run --package llm-train llm-sweep --smoke --count 2     # offline: W&B's engine, locally
uv run --package llm-train llm-sweep --count 4             # online: wandb.sweep + wandb.agent
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wb_common import SweepResult, create_report, report_spec, run_sweep
from wb_common.sweep import params_slug

from llm_train.config import Config, check_config
from llm_train.train import TASK, TrainResult, train

SWEEP_CONFIG: dict[str, Any] = {
    "method": "bayes",
    "metric": {"name": "eval/perplexity", "goal": "minimize"},
    "parameters": {
        "lora_r": {"values": [8, 16, 32]},
        "lr": {"min": 5e-5, "max": 5e-4, "distribution": "log_uniform_values"},
        "epochs": {"values": [1, 2]},
        "max_seq_len": {"values": [256, 512]},
    },
}


def run_trial(base: Config, params: dict[str, Any], group: str) -> TrainResult:
    """One sweep trial: the base config with the suggested parameters, in the sweep's group."""
    if "lora_r" in params:  # keep alpha/r = 2 as r changes, so lr means the same step size
        params = {"lora_alpha": 2 * params["lora_r"], **params}
    cfg = dataclasses.replace(
        base,
        **params,
        group=group,
        output_dir=base.output_dir / group / f"trial-{params_slug(params)}",
        resume=False,
    )
    return train(cfg)


def sweep(base: Config, count: int, sweep_config: dict[str, Any] = SWEEP_CONFIG) -> SweepResult:
    """Run `count` trials, then publish (online) or queue (offline) the comparison Report."""
    check_config(base)
    result = run_sweep(
        sweep_config,
        lambda params, group: run_trial(base, params, group),
        task=TASK,
        count=count,
        fields=[f.name for f in dataclasses.fields(Config)],
    )
    spec = report_spec(
        TASK,
        title="Qwen3-4B 한국어 QLoRA: 하이퍼파라미터 스윕 비교",
        description=(
            f"스윕 그룹 {result.group}의 실험 {len(result.trials)}개를 "
            "eval/perplexity 기준으로 비교합니다. "
            "Compares the sweep's trials on eval/perplexity: loss curves, parallel coordinates, "
            "parameter importance."
        ),
        metric=sweep_config["metric"]["name"],
        params=list(sweep_config["parameters"]),
        line_metrics=["eval/perplexity", "eval/loss", "train/loss"],
        x_axis="train/global_step",  # TRL logs by optimizer step
        group=result.group,
    )
    best = result.best
    create_report(spec, run_dir=best.run_dir if best else None)
    return result
