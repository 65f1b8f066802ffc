"""Is the Hugging Face Hub reachable? Asked once, in 3 seconds, before anything downloads.

Without this, an air-gapped machine waits ~25 s per file while huggingface_hub retries a refused
connection five times with backoff (checked with huggingface_hub 1.x): loading Qwen3-4B's
tokenizer alone took 47 s to fail. On stage that is a hang. When the Hub is unreachable, or
`HF_HUB_OFFLINE` is set, models load with `local_files_only=True`: the local cache, or one clear
sentence at once.
"""

from __future__ import annotations

import os

PROBE_TIMEOUT_S = 3.0


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set (read now, not at import) or the Hub does not answer."""
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in {"1", "ON", "YES", "TRUE"}:
        return True
    import httpx
    from huggingface_hub import constants

    try:  # httpx honours HTTPS_PROXY / NO_PROXY like huggingface_hub does
        httpx.head(constants.ENDPOINT, timeout=PROBE_TIMEOUT_S)
        return False
    except httpx.HTTPError:
        return True
