"""The short block every training CLI prints when its run is done (Korean first, then English).

What the user needs next, read from the TrainResult alone: the metric, where the weights and the
model card are, where the run lives (URL or offline folder), the Registry link's state and the
commands that come after (upload, deploy, serve).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from wb_common.artifacts import MODEL_NOTE
from wb_common.commands import in_uv_workspace, sync_command
from wb_common.pending import pending_actions

# Model types the viewer serves on a CPU host; LoRA adapters (llm, gen) load with their base model.
SERVED_TYPES = {"classification", "segmentation", "detection", "video-classification"}
VIEWER_APP = "apps/viewer/app.py"


def weights_path(result: Any) -> Path | None:
    """Where the trained weights are: model_path (cls/seg/det/video), adapter_dir or lora_dir."""
    for name in ("model_path", "adapter_dir", "lora_dir"):
        if (path := getattr(result, name, None)) is not None:
            return Path(path)
    return None


def run_url(run_path: str) -> str:
    """The run's page from the card's `entity/project/run_id` (W&B's app host for its API host)."""
    entity, project, run_id = [*run_path.split("/"), "", "", ""][:3]
    base = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    parsed = urlparse(base)
    host = parsed.hostname or "api.wandb.ai"
    if host.startswith("api."):
        host = host[len("api.") :]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme or 'https'}://{host}{port}/{entity}/{project}/runs/{run_id}"


def link_state(run_dir: Path | None) -> str:
    """`queued` (offline: `wb-demo sync` links it), `deferred` (sweep trial), `linked` or `none`."""
    if run_dir is None:
        return "none"
    if any(a.get("action") == "link" for a in pending_actions(run_dir)):
        return "queued"
    if (run_dir / MODEL_NOTE).is_file():
        return "deferred"
    return "queued" if run_dir.name.startswith("offline-run-") else "linked"


def viewer_app() -> str:
    """The viewer's Streamlit script: the repository's file here, the installed one elsewhere."""
    if in_uv_workspace():
        return str(Path(sys.prefix).parent / VIEWER_APP)  # the .venv sits at the repository root
    return "\"$(python -c 'import viewer.ui; print(viewer.ui.APP)')\""


def _viewer_command(args: str) -> str:
    """A viewer command as typed here: `uv run --package viewer ...` inside the repository."""
    return f"uv run --package viewer {args}" if in_uv_workspace() else args


def closing_block(prog: str, result: Any) -> str:
    """The lines printed after `train` returns; `result` is the package's TrainResult."""
    card = result.card
    metrics = "  ".join(f"{k} {v:.4f}" for k, v in sorted(result.metrics.items())) or "-"
    weights = weights_path(result)
    run_dir: Path | None = result.run_dir
    offline = run_dir is not None and run_dir.name.startswith("offline-run-")
    lines = [f"── 학습 완료 / training done ({prog}) ──", f"  지표 / metrics: {metrics}"]
    if weights is not None:
        lines.append(f"  가중치 / weights: {weights}")
    lines.append(
        "  모델 카드 / model card: 모델 아티팩트의 model_card.json / in the model artifact"
    )
    if run_dir is None:
        lines.append("  W&B 실행 / run: 기록 안 함 / not recorded (W&B disabled)")
    elif offline:
        lines.append(f"  W&B 실행 / run: 오프라인 폴더 / offline folder {run_dir}")
    else:
        lines.append(f"  W&B 실행 / run: {run_url(card.run_path)}")
    state = link_state(run_dir)
    lines.append(
        {
            "linked": "  Registry: 연결됨 / linked (staging)",
            "queued": "  Registry: 업로드 때 연결 대기 중 / link queued for `wb-demo sync`",
            "deferred": "  Registry: 최고 시도만 연결 / sweep trial: only the best links",
            "none": "  Registry: 연결 안 함 / not linked",
        }[state]
    )
    steps = []
    if offline:
        steps.append(sync_command(run_dir.parent))
    if run_dir is not None and card.model_type in SERVED_TYPES:
        if offline:
            steps.append(_viewer_command(f"viewer-deploy --offline-run {run_dir}"))
        steps.append(_viewer_command(f"streamlit run {viewer_app()}"))
    if steps:
        lines.append("  다음 / next:")
        lines += [f"    {step}" for step in steps]
    return "\n".join(lines)


def print_closing_block(prog: str, result: Any) -> None:
    """Print the block once: not for a run without a result (a sweep), nor on the other
    processes of a multi-GPU job (`accelerate launch` numbers them by RANK)."""
    if os.environ.get("RANK", "0") not in ("", "0"):
        return
    if result is not None and hasattr(result, "card"):
        print(closing_block(prog, result), flush=True)
