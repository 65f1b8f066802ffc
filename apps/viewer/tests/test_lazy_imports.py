"""Heavy libraries load only with the model type that needs them; the latency bench's browser leg.

    uv run --all-packages pytest apps/viewer/tests/test_lazy_imports.py -q -p no:logging

Ultralytics (~1 s of imports, and it patches PIL) is for detection models only, PyAV for video
models only. Each case serves one deployed model in a fresh process through the app itself
(Streamlit's AppTest: the page, the model load, the "try the sample" prediction) and reads that
process's sys.modules; this test process has imported everything already, so it cannot tell.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from viewer.browser import CHROMIUM, MISSING

BENCH = Path(__file__).resolve().parents[3] / "bench" / "viewer_latency.py"

SERVE = """
import json, os, sys
from streamlit.testing.v1 import AppTest
from viewer.ui import APP

at = AppTest.from_file(str(APP), default_timeout=240).run()
assert not at.exception, at.exception
at.button("sample-" + sys.argv[1]).click().run()
assert not at.exception, at.exception
texts = " ".join(m.value for m in at.markdown)
assert "예측 · Prediction:" in texts, texts[-500:]
print(json.dumps({
    "loaded": sorted({"ultralytics", "av"} & set(sys.modules)),
    "safe_load": os.environ.get("ULTRALYTICS_SAFE_LOAD"),
}))
"""


@pytest.mark.parametrize(
    ("model_type", "expected"),
    [("classification", []), ("detection", ["ultralytics"]), ("video-classification", ["av"])],
)
def test_the_app_imports_ultralytics_and_av_only_for_their_model_type(
    model_type, expected, artifacts, run_deploy, make_payload, viewer_home
):
    folder = str(artifacts[model_type])
    assert run_deploy(make_payload(model_type), "--artifact-dir", folder)[0] == 0
    env = {k: v for k, v in os.environ.items() if k != "ULTRALYTICS_SAFE_LOAD"}
    result = subprocess.run(
        [sys.executable, "-c", SERVE, model_type],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == expected
    assert seen["safe_load"] == "1"  # the app set it before anything could import ultralytics


def _bench():
    spec = importlib.util.spec_from_file_location("viewer_latency", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)
def test_the_bench_times_streamlit_run_to_the_prediction_in_chromium(artifacts, tmp_path):
    """bench/viewer_latency.py's browser leg, for real, on the cls-train smoke classifier."""
    seen = _bench().browser_cold("classification", artifacts["classification"], tmp_path)
    assert 0 < seen["server_s"] < seen["page_s"] < seen["prediction_s"] < 600
    # the deploy wrote its folder and the server has stopped: nothing is left listening
    assert (tmp_path / "viewer-classification" / "deployment.json").is_file()
