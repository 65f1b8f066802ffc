"""Is the Hugging Face Hub reachable? Asked once, in 3 seconds, before anything downloads.

Without this, an air-gapped machine waits ~25 s per file while huggingface_hub retries a refused
connection five times with backoff (checked with huggingface_hub 1.x): loading Qwen3-4B's
tokenizer alone took 47 s to fail. On stage that is a hang. When the Hub is unreachable, or
`HF_HUB_OFFLINE` is set, llm-train and gen-train load with `local_files_only=True`: the local
cache, or one clear sentence at once.
"""

from __future__ import annotations

import os

PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "ON", "YES", "TRUE"}  # huggingface_hub's own reading of HF_HUB_OFFLINE


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when the Hub answers now; False when HF_HUB_OFFLINE is set (read now, not at
    import) or the request fails in any way (DNS, refused, proxy, timeout)."""
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE:
        return False
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    try:  # the Hub client's own session: the same proxy settings and headers as a download
        get_session().head(constants.ENDPOINT, timeout=timeout)
    except Exception:
        return False
    return True
