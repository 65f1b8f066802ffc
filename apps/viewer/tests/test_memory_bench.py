"""bench/viewer_memory.py, for real, on a tiny clip and the video-train smoke model.

    uv run --all-packages pytest apps/viewer/tests/test_memory_bench.py -q -p no:logging

The bench runs as a subprocess exactly as documented (its own fresh measuring processes, the
viewer tests' model builders, read_video + predict), with `--tiny` inputs and an absurdly small
budget: every row must come back with its numbers and a FAIL, and the bench must exit 1. The same
rows pass the real budget (issue 17: ~300 MB), through the bench's own verdict function.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "viewer_memory.py"
ROW_KEYS = {"input", "label", "file_mb", "model_type", "viewer_mb", "viewer_s", "full_mb",
            "full_s", "loaded_mb", "out", "refused", "summary", "verdict"}  # fmt: skip


def _bench():
    spec = importlib.util.spec_from_file_location("viewer_memory", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_memory_bench_measures_an_upload_and_fails_over_its_budget(tmp_path):
    report_file = tmp_path / "memory.json"
    command = [sys.executable, str(BENCH), "--tiny", "--types", "video-classification",
               "--inputs", "video-tiny", "--repeats", "1", "--no-full", "--budget-mb", "0.001",
               "--json", str(report_file)]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    report = json.loads(report_file.read_text())
    assert report["budget_mb"] == 0.001 and report["tiny"] is True
    assert len(report["load_average"]["start"]) == 3
    rows = report["rows"]
    assert [(r["input"], r["model_type"]) for r in rows] == [
        ("video-tiny", "decode only"),
        ("video-tiny", "video-classification"),
    ]
    decode, pipeline = rows
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["refused"] is None and row["full_mb"] is None  # accepted; --no-full
        assert 0.001 < row["viewer_mb"] < 1000
        # A time was measured (rounded to 0.01 s, a tiny clip can read 0.0 on a fast machine).
        assert isinstance(row["viewer_s"], float) and row["viewer_s"] >= 0
        assert row["verdict"] == "FAIL"
    assert decode["out"] == [16, 112, 112, 3] and decode["summary"] is None
    # the smoke card's (T, H, W); the model ran on it and named one of its classes
    assert pipeline["out"] == [8, 32, 32, 3]
    assert pipeline["summary"].split()[0] in {"ApplyEyeMakeup", "Basketball", "Biking"}
    assert pipeline["loaded_mb"] > decode["loaded_mb"] + 100  # torch + the model, before the reset
    lines = proc.stdout.splitlines()
    assert any(line.startswith("video-tiny") and " FAIL " in line for line in lines)
    assert "0/2 rows within 0.001 MB: FAIL" in lines[-1]
    verdict = _bench().verdict
    assert [verdict(r["viewer_mb"], 300) for r in rows] == ["PASS", "PASS"]
