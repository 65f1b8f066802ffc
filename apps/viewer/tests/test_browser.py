"""A real browser: `streamlit run` on localhost, Debian's chromium driven by Playwright.

    uv run --all-packages pytest apps/viewer/tests/test_browser.py -q -p no:logging

Needs /usr/bin/chromium (`apt-get install -y chromium`); Playwright's own browser download is
never used, so the test runs on an air-gapped CI box. The screenshot of the prediction is kept in
apps/viewer/.test-output/ for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from viewer.browser import CHROMIUM, MISSING, launch_chromium
from viewer.samples import SAMPLE_IMAGE
from viewer.ui import APP

OUTPUT = Path(__file__).resolve().parents[1] / ".test-output"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            if opener.open(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")


@pytest.fixture
def streamlit_server(viewer_home, run_deploy, make_payload, artifacts):
    folder = str(artifacts["classification"])
    assert run_deploy(make_payload("classification"), "--artifact-dir", folder)[0] == 0
    port = _free_port()
    log = open(viewer_home / "streamlit.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        env={**os.environ, "VIEWER_HOME": str(viewer_home)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_upload_an_image_and_see_the_prediction(streamlit_server, artifacts):
    from playwright.sync_api import expect, sync_playwright
    from viewer.inference import predict
    from viewer.models import load_model
    from viewer.uploads import read_image

    expected = predict(
        load_model(artifacts["classification"]), read_image(SAMPLE_IMAGE.read_bytes())
    ).summary
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(streamlit_server, timeout=60_000)
            expect(page.get_by_text("cifar10-classifier").first).to_be_visible(timeout=90_000)
            page.get_by_role("tab", name="🔍 추론 테스트").click()
            page.locator('input[type="file"]').set_input_files(str(SAMPLE_IMAGE))
            result = page.get_by_text(f"예측 · Prediction: {expected}")
            expect(result).to_be_visible(timeout=60_000)
            # the uploaded image and the top-5 table render after the text: wait for both
            expect(page.locator('[data-testid="stImage"] img').first).to_be_visible(timeout=30_000)
            expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
            expect(page.get_by_text("추론 시간 · Inference")).to_be_visible()
            page.screenshot(path=str(OUTPUT / "browser-prediction.png"), full_page=True)
        finally:
            browser.close()
    assert (OUTPUT / "browser-prediction.png").stat().st_size > 10_000
