"""Why llm-train has its own checkpoint.py: TRL's Trainer writes its own checkpoints, read here.

SFTTrainer writes `checkpoints/checkpoint-<step>/` (adapter, optimizer, scheduler, RNG state) every
`save_steps`; resuming from the last one continues the same step count. The W&B run id is kept
beside them (`wb_common.checkpoint.save_run_id`: `wandb_run.json`), so a Colab disconnect resumes
the same run instead of starting a new one.

What the run logged is in the checkpoint too: `trainer_state.json` keeps the Trainer's
`log_history`, every logged row by global step. `logged_history` turns it back into the W&B rows,
so `--resume` can log again what a killed run file lost (wb_common.resume). Every row goes to W&B
at step=global_step (`StepWandbCallback`): the resumed run continues the same axis.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from transformers.integrations import WandbCallback
from transformers.integrations.integration_utils import rewrite_logs
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from wb_common.checkpoint import ResumeError, load_run_id
from wb_common.resume import History, scalars

CHECKPOINT_DIR = "checkpoints"
TRAINER_STATE = "trainer_state.json"  # written last: its presence means the checkpoint is whole
# Where llm-train noted the W&B run id before `wandb_run.json`; an output folder on Drive from
# that version still resumes its own run.
OLD_RUN_ID_FILE = "wandb_run_id.txt"
# Logged once, at the end of training: WandbCallback puts them in the summary, not the history.
SUMMARY_ONLY = {
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "train_loss",
    "total_flos",
}


def checkpoint_dir(output_dir: Path) -> Path:
    return output_dir / CHECKPOINT_DIR


def _complete_checkpoints(folder: Path) -> list[Path]:
    found = [
        p
        for p in folder.glob(f"{PREFIX_CHECKPOINT_DIR}-*")
        if p.name.split("-")[-1].isdigit() and (p / TRAINER_STATE).is_file()
    ]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def last_checkpoint(output_dir: Path) -> str:
    """The newest complete checkpoint folder, or ResumeError in one sentence.

    A folder a kill interrupted mid-write has no trainer_state.json yet: it is skipped. The W&B
    run that wrote it: `run_to_resume(output_dir)`.
    """
    folder = checkpoint_dir(output_dir)
    complete = _complete_checkpoints(folder) if folder.is_dir() else []
    if not complete:
        raise ResumeError(
            f"이어서 학습할 체크포인트가 없습니다 — nothing to resume: no checkpoint-<step> "
            f"folder in {folder}; start without --resume."
        )
    return str(complete[-1])


def run_to_resume(output_dir: Path) -> str | None:
    """The W&B run id noted beside the checkpoints (`wandb_run.json`, else the older text file)."""
    run_id = load_run_id(output_dir)
    old_note = output_dir / OLD_RUN_ID_FILE
    if run_id is None and old_note.is_file():
        run_id = old_note.read_text(encoding="utf-8").strip() or None
    return run_id


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))  # 50: no overflow on a bad start


def logged_history(checkpoint: str | Path) -> History:
    """The W&B rows the run logged up to `checkpoint`, by global step, from its log_history.

    The same rows `StepWandbCallback` and `PerplexityCallback` logged: Trainer logs renamed by
    transformers' own `rewrite_logs` (`loss` -> `train/loss`, `eval_loss` -> `eval/loss`), the
    global step, and eval/perplexity beside every eval/loss.
    """
    state = json.loads((Path(checkpoint) / TRAINER_STATE).read_text())
    history: History = {}
    for entry in state.get("log_history", []):
        step = int(entry["step"])
        logs = {k: v for k, v in entry.items() if k != "step" and k not in SUMMARY_ONLY}
        row: dict[str, Any] = {**rewrite_logs(logs), "train/global_step": step}
        if "eval_loss" in entry:
            row |= {"eval/perplexity": perplexity(entry["eval_loss"]), "epoch": entry["epoch"]}
        history.setdefault(step, {}).update(scalars(row))
    return history


class StepWandbCallback(WandbCallback):
    """transformers' WandbCallback, with every row logged at step=global_step.

    The stock callback logs at wandb's implicit step, which an offline run restarts at 0 when it
    resumes: the resumed rows then land on steps the first file already used, and `wandb sync`
    mixes them up (docs/facts.md). The global step is the training state: resumed runs continue it.
    Several rows of one step (train loss, eval loss, perplexity) merge into one W&B row.
    """

    def on_log(self, args, state, control, model=None, logs=None, **kwargs):
        if self._wandb is None:
            return
        if not self._initialized:
            self.setup(args, state, model)
        if state.is_world_process_zero:
            for key, value in logs.items():
                if key in SUMMARY_ONLY:
                    self._wandb.run.summary[key] = value
            row = rewrite_logs({k: v for k, v in logs.items() if k not in SUMMARY_ONLY})
            step = state.global_step
            self._wandb.log({**row, "train/global_step": step}, step=step)
