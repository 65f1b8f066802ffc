"""The bundled Korean pairs, the chat format and the held-out split.

uv run --package llm-train pytest packages/llm-train/tests/test_data.py
"""

from __future__ import annotations

import re

import pytest
from llm_train.config import Config, smoke_config
from llm_train.data import SMOKE_FILE, DataError, build_datasets, read_pairs

HANGUL = re.compile("[가-힣]")


def test_bundled_pairs_are_korean_instructions():
    pairs = read_pairs(SMOKE_FILE)
    assert len(pairs) >= 40
    assert all(HANGUL.search(p["instruction"]) for p in pairs)
    assert len({p["instruction"] for p in pairs}) == len(pairs)


def test_split_is_held_out_and_conversational(tmp_path):
    train, eval = build_datasets(smoke_config(Config(output_dir=tmp_path)))
    assert (len(train), len(eval)) == (34, 8)
    questions = lambda split: {row["messages"][0]["content"] for row in split}  # noqa: E731
    assert not questions(train) & questions(eval)
    roles = [m["role"] for m in train[0]["messages"]]
    assert roles == ["user", "assistant"]


def test_koalpaca_offline_names_the_smoke_flag(offline_hub):
    with pytest.raises(DataError, match=r"beomi/KoAlpaca-v1\.1a cannot be downloaded.*use --smoke"):
        build_datasets(Config())
