"""bench/gpu_stage.py --tiny: the GPU stage check's own code, on the CPU with tiny configs.

    uv run --all-packages pytest tests/test_gpu_stage.py

The same runners the GPU uses (each package's model builder and training step, TRL's SFTTrainer
on a 4-bit NF4 Qwen3, Ultralytics' trainer, SD's LoRA step) train a few steps here; the test reads
the JSON and the Markdown it writes. Speeds and memory on a CPU mean nothing and are not asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "bench" / "gpu_stage.py"
TASKS = ["cls", "seg", "det", "video", "llm", "gen"]


def load_bench():
    spec = importlib.util.spec_from_file_location("gpu_stage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining a class
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("gpu-stage")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1500,  # ~2 min on a quiet 2-core CPU; the imports of six ML stacks dominate
        cwd=out,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((out / "gpu_stage.json").read_text())
    return report, (out / "gpu_stage.md").read_text()


def test_tiny_run_trains_all_six_tasks_in_both_passes(tiny_report):
    report, _ = tiny_report
    assert report["tiny"] is True
    rows = {(r["pass_name"], r["task"]): r for r in report["rows"]}
    assert set(rows) == {(p, t) for p in ("device", "t4") for t in TASKS}
    for (pass_name, task), row in rows.items():
        assert "error" not in row["extra"], (pass_name, task, row["extra"])
        assert row["loss_finite"], (pass_name, task)
        assert row["losses"] and all(math.isfinite(x) for x in row["losses"])
        assert row["steps"] > 0 and row["steps_per_s"] > 0 and row["items_per_s"] > 0
        # No GPU here: no memory figures and no T4 verdict are made up.
        assert row["peak_allocated_gib"] is None and row["fits_t4"] is None
        assert row["precision"] == "no" and row["grad_scaler"] is False


def test_tiny_run_uses_the_real_models_and_settings(tiny_report):
    report, _ = tiny_report
    device = {r["task"]: r for r in report["rows"] if r["pass_name"] == "device"}
    assert device["llm"]["extra"]["four_bit"] is True  # bitsandbytes NF4, as llm-train loads it
    assert device["llm"]["unit"] == "tokens"
    assert device["video"]["unit"] == "clips"
    assert device["det"]["model"] == "yolov8n"
    pipeline = device["cls"]["extra"]["input_pipeline"]
    assert pipeline["baseline_pil_images_per_s"] > 0 and pipeline["ours_images_per_s"] > 0


def test_tiny_run_writes_the_markdown_table(tiny_report):
    report, table = tiny_report
    assert "--tiny" in table and "fits a 16 GB T4" in table
    assert table.count("\n| ") == len(report["rows"]) + 1  # header + one line a row
    assert "cls input pipeline" in table


def test_fits_a_t4_is_judged_from_the_t4_pass_peak():
    bench = load_bench()

    def make(pass_name: str, reserved: float | None):
        return bench.Row(
            "gen", "sd15", pass_name, "fp16", True, 5, 1.0, 1.0, "images", reserved, reserved,
            [0.1, 0.2],
        )  # fmt: skip

    assert make("t4", 9.0).fits_t4 is True
    assert make("t4", 14.8).fits_t4 is False  # + 0.5 GiB of CUDA context passes 15 GiB
    assert make("device", 9.0).fits_t4 is None  # the device pass is not the T4 configuration
    assert make("t4", None).fits_t4 is None  # a CPU has no such number
    assert make("t4", 9.0).loss_finite is True


def test_a_non_finite_loss_is_reported():
    bench = load_bench()
    row = bench.Row(
        "llm", "q", "t4", "fp16", True, 3, 1.0, 1.0, "tokens", 3.0, 3.0, [2.0, float("nan")]
    )
    assert row.loss_finite is False
    assert (
        bench.Row("llm", "q", "t4", "fp16", True, 0, 0, 0, "", None, None, []).loss_finite is False
    )
