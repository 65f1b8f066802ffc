"""`llm-sweep` offline: two trials on W&B's own sweep engine, and the queued report.

uv run --package llm-train pytest packages/llm-train/tests/test_sweep.py
"""

from __future__ import annotations

import dataclasses

from llm_train.config import Config, smoke_config
from llm_train.sweep import SWEEP, SWEEP_CONFIG, report_spec_for, sweep
from wb_common import find_run_dirs, read_run
from wb_common.pending import pending_actions


def test_lora_alpha_follows_the_swept_rank_unless_it_is_swept_too(tmp_path):
    """alpha/r stays 2 as the sweep changes r, so an lr means the same step size at every rank."""
    seen = []
    trial = dataclasses.replace(SWEEP, train=seen.append).run_trial
    base = Config(output_dir=tmp_path)
    trial(base, {"lora_r": 8, "lr": 1e-4}, "sweep-x")
    trial(base, {"lora_r": 8, "lora_alpha": 4}, "sweep-x")
    trial(base, {"lr": 1e-4}, "sweep-x")
    assert [(c.lora_r, c.lora_alpha) for c in seen] == [(8, 16), (8, 4), (16, 32)]
    assert all(c.sweep_trial and c.group == "sweep-x" for c in seen)


def test_offline_sweep_runs_two_trials_and_queues_the_report(offline_hub, tmp_path):
    base = smoke_config(Config(output_dir=tmp_path / "out", max_train_samples=8, eval_samples=4))
    base = dataclasses.replace(base, sample_prompts=("안녕?",), max_new_tokens=4)
    sweep_config = {
        **SWEEP_CONFIG,
        "parameters": {**SWEEP_CONFIG["parameters"], "epochs": {"value": 1}},
    }
    result = sweep(base, count=2, sweep_config=sweep_config)

    assert len(result.trials) == 2
    space = SWEEP_CONFIG["parameters"]
    runs = [read_run(d) for d in find_run_dirs(offline_hub)]
    assert len(runs) == 2 and len({r.run_id for r in runs}) == 2
    for run in runs:
        assert run.group == result.group
        assert space["lr"]["min"] <= run.config["lr"] <= space["lr"]["max"]
        assert run.config["lora_r"] in space["lora_r"]["values"]
        assert run.config["lora_alpha"] == 2 * run.config["lora_r"]
        assert run.config["max_seq_len"] in space["max_seq_len"]["values"]
        assert run.metric("eval/perplexity")  # the sweep metric was recorded
    report = [a for a in pending_actions(result.best.run_dir) if a["action"] == "report"]
    assert len(report) == 1
    assert report[0]["spec"]["group"] == result.group
    assert report[0]["spec"]["metric"] == "eval/perplexity"
    # Registry hygiene: one link for the whole sweep, the best trial's, into the smoke collection.
    links = [
        a for d in find_run_dirs(offline_hub) for a in pending_actions(d) if a["action"] == "link"
    ]
    assert links == [a for a in pending_actions(result.best.run_dir) if a["action"] == "link"]
    assert [a["target"] for a in links] == ["wandb-registry-model/qwen3-4b-ko-lora-smoke"]
    # The CLI's report and the notebook's come from one function, with the task's x-axis.
    assert report[0]["spec"] == report_spec_for(result.group, sweep_config, len(result.trials))
    assert report[0]["spec"]["x_axis"] == "train/global_step"
