"""Ultralytics' own checkpoint folder, read for `--resume` (why det keeps a checkpoint.py).

Ultralytics checkpoints itself (`train/weights/last.pt`, every epoch) and, just before, appends
the epoch's numbers to `train/results.csv`: the same keys our W&B callback logs (its losses,
`metrics/...(B)`, `lr/pg*`). So the checkpoint folder already carries what the run logged per
epoch; `logged_history` turns it back into the W&B rows, and `--resume` logs again the epochs a
killed run file lost (wb_common.resume). The CSV keeps 6 significant digits: a recovered value
can differ from the lost one in the 7th. The W&B run id lies beside it, in
`wb_common.checkpoint`'s `wandb_run.json`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wb_common.checkpoint import RUN_STATE_FILE, ResumeError, load_run_id
from wb_common.resume import History, scalars

RESULTS_CSV = "results.csv"
LAST_CHECKPOINT = Path("train") / "weights" / "last.pt"  # in output_dir: Ultralytics' own

# Our keys (docs/tasks.md) <- Ultralytics' names for the same numbers ("(B)": boxes).
METRIC_KEYS = {
    "val/mAP50": "metrics/mAP50(B)",
    "val/mAP50-95": "metrics/mAP50-95(B)",
    "val/precision": "metrics/precision(B)",
    "val/recall": "metrics/recall(B)",
}


def epoch_row(ultralytics_metrics: Mapping[str, Any], epoch: int) -> dict[str, float]:
    """One epoch's W&B row: Ultralytics' numbers under its own keys, ours beside them, epoch."""
    row = {k: float(v) for k, v in ultralytics_metrics.items() if k not in ("epoch", "time")}
    row.update({ours: row[theirs] for ours, theirs in METRIC_KEYS.items() if theirs in row})
    row["epoch"] = epoch
    return row


def logged_history(save_dir: Path) -> History:
    """Every epoch in Ultralytics' results.csv as the row our callback logged, by epoch."""
    path = Path(save_dir) / RESULTS_CSV
    if not path.is_file():
        return {}
    history: History = {}
    with path.open(newline="", encoding="utf-8") as f:
        for record in csv.DictReader(f):
            values = {k.strip(): v for k, v in record.items() if k and v not in (None, "")}
            epoch = int(float(values["epoch"]))
            history[epoch] = scalars(epoch_row({k: float(v) for k, v in values.items()}, epoch))
    return history


def resume_point(output_dir: Path) -> tuple[str, Path]:
    """The W&B run id and Ultralytics' last.pt that `--resume` continues, or ResumeError."""
    run_id = load_run_id(output_dir)
    last = output_dir / LAST_CHECKPOINT
    if run_id is None or not last.is_file():
        raise ResumeError(
            "이어서 학습할 run이 없습니다 — "
            f"nothing to resume: no {RUN_STATE_FILE} and {LAST_CHECKPOINT.as_posix()} in "
            f"{output_dir}; start without --resume."
        )
    checkpoint = _safe_checkpoint(last)
    # Ultralytics marks a finished training by stripping last.pt to epoch -1.
    epoch = checkpoint.get("epoch", -1)
    if not isinstance(epoch, int) or epoch < 0:
        raise ResumeError(
            "이 학습은 이미 끝났습니다 — "
            f"the training in {output_dir} already finished; start without --resume."
        )
    return run_id, last


def _safe_checkpoint(last: Path) -> dict[str, Any]:
    """last.pt read with `weights_only=True`, or ResumeError: nothing the file carries runs.

    A checkpoint folder can come from elsewhere (a copied output folder, a shared drive), and
    `torch.load(weights_only=False)` runs whatever a pickle names. Ultralytics' own restricted
    loader (`torch_safe_load(..., safe_only=True)`) rebuilds only the classes a checkpoint of
    its own holds (its model and torch layers, numpy scalars); anything else is refused before
    Ultralytics' trainer, which loads last.pt without that restriction, ever sees it.
    """
    from ultralytics.nn.tasks import _SafeLoad, torch_safe_load

    refused = (
        f"{last.as_posix()}을 안전하게(weights_only) 읽을 수 없어 이어서 학습하지 않습니다 — "
        f"{last.as_posix()} is not a checkpoint that loads with weights_only=True"
    )
    if not _SafeLoad.SUPPORTED:  # torch < 2.6: the restricted load would fall back to pickle
        raise ResumeError(f"{refused} (needs torch 2.6 or newer); start without --resume.")
    try:
        checkpoint, _ = torch_safe_load(str(last), safe_only=True)
    except Exception as err:  # an unpickling refusal, a damaged or foreign file
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise ResumeError(f"{refused} ({first}); start without --resume.") from None
    if not isinstance(checkpoint, dict):
        raise ResumeError(f"{refused} (not a checkpoint dict); start without --resume.")
    return checkpoint
