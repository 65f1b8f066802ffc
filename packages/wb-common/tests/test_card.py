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
        ({"normalization": {"mean": [0.5] * 3, "std": [0.0] * 3}}, "positive"),
        ({"normalization": {"mean": [0.5], "std": [0.2]}}, "three finite numbers"),
        ({"normalization": {"mean": [0.5, 0.5, 40.0], "std": [0.2] * 3}}, r"lie in \[0, 1\]"),
        ({"normalization": {"mean": [0.5, "x", 0.5], "std": [0.2] * 3}}, "three finite"),
        ({"normalization": {"mean": [0.5] * 3, "std": [0.2, 0.2, 1e-300]}}, "positive"),
        ({"normalization": {"mean": [0.5] * 3, "std": [0.2] * 3, "x": 1}}, "exactly"),
        ({"input_size": [224, 100000]}, "side over 2048"),
        ({"input_size": [1, 2, 3, 4]}, "at most three"),
        ({"class_names": [f"c{i}" for i in range(1001)]}, "more than 1000"),
        ({"class_names": ["cat", "\u202egod"]}, "bidi"),
        ({"weights_file": "best.torchscript"}, "must end in .pth or .pt"),
        ({"weights_file": "model.onnx"}, "can run code"),
        ({"extra": {"clip_duration": 1e9}}, "clip_duration"),
        ({"extra": {"scale": float("inf")}}, "not finite"),
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


def _write_raw(tmp_path, text: str):
    (tmp_path / "model_card.json").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("0.25, 0.25, 0.25", "NaN, 0.25, 0.25"), "NaN, which is not JSON"),
        (("0.25, 0.25, 0.25", "Infinity, 0.25, 0.25"), "Infinity, which is not JSON"),
        (("0.25, 0.25, 0.25", "1e400, 0.25, 0.25"), "not finite"),
        (('"val/acc": 0.9', '"val/acc": 1e400'), "not finite"),
        (
            ('"weights_file": "model.pth"', '"weights_file": "x.pth", "weights_file": "model.pth"'),
            "repeats the key 'weights_file'",
        ),
    ],
)
def test_non_finite_numbers_and_repeated_keys_are_refused_when_read(tmp_path, replace, message):
    text = json.dumps(make_card().to_dict())
    assert replace[0] in text
    with pytest.raises(ModelCardError, match=message):
        ModelCard.read(_write_raw(tmp_path, text.replace(*replace)))


def test_a_fifo_card_is_refused_at_once(tmp_path):
    """A FIFO named model_card.json: refused, never a reader blocked forever (a thread with a
    timeout guards the test: a regression fails it instead of hanging CI)."""
    import os
    import threading

    fifo = tmp_path / "model_card.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            ModelCard.read(tmp_path)
            outcome.append(None)
        except BaseException as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # release the blocked open() so the process can end, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO model card blocked")
    assert isinstance(outcome[0], ModelCardError) and "not a regular file" in str(outcome[0])


def test_an_oversized_card_is_refused_before_parsing(tmp_path):
    from wb_common.card import MAX_CARD_BYTES

    data = make_card().to_dict()
    data["extra"] = {"pad": "x" * MAX_CARD_BYTES}
    with pytest.raises(ModelCardError, match="more than"):
        ModelCard.read(_write_raw(tmp_path, json.dumps(data)))


def test_weights_are_checked_by_suffix_and_by_bytes(tmp_path):
    """A TorchScript archive or an ONNX protobuf renamed `.pt` is refused; torch.save passes."""
    import warnings

    import torch
    from wb_common.card import WeightsFormatError, check_weights

    card = make_card(weights_file="model.pt")
    good = tmp_path / "model.pt"
    torch.save({"fc.weight": torch.zeros(2, 3)}, good)
    check_weights(good, card)  # a state_dict: passes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.script is deprecated, still works
        scripted = torch.jit.script(torch.nn.Linear(3, 2))
    scripted.save(str(tmp_path / "scripted.pt"))
    (tmp_path / "model.onnx.pt").write_bytes(b"\x08\x07\x12\x07pytorch\x1a\x032.0")
    (tmp_path / "model.torchscript").write_bytes(good.read_bytes())
    for name, why in [
        ("scripted.pt", "TorchScript archive"),
        ("model.onnx.pt", "not a torch.save zip archive"),
        ("model.torchscript", "loads only .pth or .pt"),
    ]:
        with pytest.raises(WeightsFormatError, match=why) as caught:
            check_weights(tmp_path / name, card)
        message = str(caught.value)
        assert message.startswith("가중치 파일") and " — refused the weights file" in message
        assert "\n" not in message


def test_unsafe_characters_are_escaped():
    from wb_common.card import escape_unsafe

    assert escape_unsafe("cat\u202egod\u200b") == "cat\\u202egod\\u200b"
    assert escape_unsafe("한국어 ok\n") == "한국어 ok\n"
