"""The model card: one dataclass, validated when built and when read back.

uv run --package wb-common pytest packages/wb-common/tests/test_card.py
"""

from __future__ import annotations

import json

import pytest
from wb_common import ModelCard, ModelCardError


def make_card(**overrides) -> ModelCard:
    fields = {
        "model_type": "classification",
        "architecture": "resnet18",
        "weights_file": "model.pth",
        "class_names": ["cat", "dog"],
        "input_size": [224, 224],
        "normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
        "metrics": {"val/acc": 0.9},
    }
    return ModelCard(**{**fields, **overrides})


def test_round_trip_through_json_file(tmp_path):
    card = make_card(extra={"note": "한국어도 그대로"})
    path = card.write(tmp_path)
    assert path.name == "model_card.json"
    assert "한국어도 그대로" in path.read_text(encoding="utf-8")
    assert ModelCard.read(tmp_path) == card
    assert ModelCard.from_dict(card.to_dict()) == card


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model_type": "regression"}, "model_type"),
        ({"class_names": ["only-one"]}, "at least two"),
        ({"class_names": ["a", "a"]}, "unique"),
        ({"weights_file": "../../etc/passwd"}, "plain file name"),
        ({"input_size": [224, -1]}, "positive"),
        ({"normalization": {"mean": [0.5], "std": [0.0]}}, "positive"),
        ({"metrics": {"val/acc": float("nan")}}, "finite"),
    ],
)
def test_invalid_cards_are_refused_with_the_reason(overrides, message):
    with pytest.raises(ModelCardError, match=message):
        make_card(**overrides)


def test_lora_cards_need_no_class_names():
    card = make_card(
        model_type="llm-lora", class_names=[], weights_file="adapter_model.safetensors"
    )
    assert card.class_names == []


def test_reading_a_broken_card_says_what_is_wrong(tmp_path):
    with pytest.raises(ModelCardError, match="no model card"):
        ModelCard.read(tmp_path)
    (tmp_path / "model_card.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelCardError, match="not readable JSON"):
        ModelCard.read(tmp_path)
    data = make_card().to_dict()
    del data["weights_file"]
    (tmp_path / "model_card.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelCardError, match="incomplete"):
        ModelCard.read(tmp_path)
    with pytest.raises(ModelCardError, match="unknown fields: surprise"):
        ModelCard.from_dict({**make_card().to_dict(), "surprise": 1})
    with pytest.raises(ModelCardError, match="JSON object"):
        ModelCard.from_dict(["not", "a", "dict"])
