"""Debian's chromium driven by Playwright: the browser test and `bench/viewer_latency.py` share it.

Playwright's own browser download is never used (`apt-get install -y chromium` instead), so both
run on an air-gapped box. Playwright is a development dependency of the workspace, not of the
deployed viewer: it is imported only when a browser is launched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container has no user namespace for the sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-proxy-server",  # the tests point HTTP(S)_PROXY at a closed port to cut the network
]
MISSING = "needs Debian's chromium: apt-get install -y chromium"


def launch_chromium(playwright: Any) -> Any:
    """A headless chromium Browser from a running `sync_playwright()`; close it when done."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: {MISSING}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
