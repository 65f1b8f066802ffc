"""`--resume` with Ultralytics: what the run logged, read back from its checkpoint folder.

Ultralytics checkpoints itself (`train/weights/last.pt`, every epoch) and, just before, appends
the epoch's numbers to `train/results.csv`: the same keys our W&B callback logs (its losses,
`metrics/...(B)`, `lr/pg*`). So the checkpoint folder already carries what the run logged per
epoch; `logged_history` turns it back into the W&B rows, and `--resume` logs again the epochs a
killed run file lost (wb_common.resume). The CSV keeps 6 significant digits: a recovered value
can differ from the lost one in the 7th.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wb_common.resume import History, scalars

RESULTS_CSV = "results.csv"

# Our keys (the ROADMAP's) <- Ultralytics' names for the same numbers ("(B)": boxes).
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
