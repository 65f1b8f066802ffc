"""Korean instruction pairs as chat messages: KoAlpaca from the Hub, or the bundled smoke file.

Both sources have `instruction` / `output` columns and become the same conversational rows,
`{"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}`. TRL's SFTTrainer renders them
with the tokenizer's own chat template (Qwen3's, thinking off) and, with `assistant_only_loss`,
computes the loss on the assistant turn only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasets import Dataset
from wb_common.hub import hub_reachable

from llm_train.config import Config

SMOKE_FILE = Path(__file__).parent / "ko_instructions_smoke.jsonl"  # written for this project


class DataError(RuntimeError):
    """The dataset could not be loaded; the message says what to do instead."""


def to_messages(instruction: str, output: str) -> list[dict[str, str]]:
    """One instruction pair as a chat: the user asks, the assistant answers."""
    return [
        {"role": "user", "content": instruction.strip()},
        {"role": "assistant", "content": output.strip()},
    ]


def read_pairs(path: Path) -> list[dict[str, str]]:
    """`instruction` / `output` rows of a JSON-lines file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [{"instruction": r["instruction"], "output": r["output"]} for r in rows]


def load_pairs(cfg: Config) -> Dataset:
    """All instruction pairs of the configured source, before subsampling."""
    if cfg.smoke:
        return Dataset.from_list(read_pairs(SMOKE_FILE))
    from datasets import load_dataset

    local = Path(cfg.dataset)
    if local.is_file():  # a JSON-lines file of your own pairs: no network needed
        return Dataset.from_list(read_pairs(local))
    if not hub_reachable():  # datasets would retry a dead connection for minutes
        raise DataError(
            f"데이터셋을 내려받을 수 없습니다 — {cfg.dataset} cannot be downloaded: "
            "the Hugging Face Hub is not reachable "
            "(or HF_HUB_OFFLINE is set): use --smoke, or --dataset with a local JSON-lines file."
        )
    try:
        data = load_dataset(cfg.dataset, split="train")
    except Exception as err:  # ConnectionError, DatasetNotFoundError, a broken cache, ...
        raise DataError(
            f"데이터셋을 불러올 수 없습니다 — {cfg.dataset} could not be loaded from the "
            f"Hugging Face Hub ({type(err).__name__}): "
            "use --smoke for the bundled Korean pairs, or check the network."
        ) from None
    missing = {"instruction", "output"} - set(data.column_names)
    if missing:
        raise DataError(
            f"데이터셋에 필요한 열이 없습니다 — {cfg.dataset} has no "
            f"{', '.join(sorted(missing))} column: "
            "use a dataset with `instruction` and `output` columns, like beomi/KoAlpaca-v1.1a."
        )
    return data.select_columns(["instruction", "output"])


def build_datasets(cfg: Config) -> tuple[Dataset, Dataset]:
    """(train, eval) conversational datasets: a seeded subsample, eval pairs held out first."""
    pairs = load_pairs(cfg).shuffle(seed=cfg.seed)
    if len(pairs) < cfg.eval_samples + 1:
        raise DataError(
            f"평가용으로 떼어 둘 데이터가 부족합니다 — {cfg.dataset_name} has {len(pairs)} pairs, "
            f"too few for eval_samples="
            f"{cfg.eval_samples}: lower --eval-samples."
        )
    eval_pairs = pairs.select(range(cfg.eval_samples))
    end = min(len(pairs), cfg.eval_samples + cfg.max_train_samples)
    train_pairs = pairs.select(range(cfg.eval_samples, end))

    def as_chat(row: dict[str, Any]) -> dict[str, Any]:
        return {"messages": to_messages(row["instruction"], row["output"])}

    columns = ["instruction", "output"]
    return (
        train_pairs.map(as_chat, remove_columns=columns),
        eval_pairs.map(as_chat, remove_columns=columns),
    )


def dataset_files(train: Dataset, eval: Dataset, folder: Path) -> Path:
    """Write the exact pairs of this run as JSON lines: the dataset artifact's content."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, split in (("train", train), ("eval", eval)):
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in split:
                user, assistant = row["messages"]
                pair = {"instruction": user["content"], "output": assistant["content"]}
                f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    return folder
