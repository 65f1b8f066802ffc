"""The model card: everything the viewer needs to load a model and preprocess its input.

One dataclass, written twice into every model artifact — as `model_card.json` inside it and as the
artifact's metadata — so training and serving can never disagree about class names, input size or
normalisation (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wb_common.tasks import MODEL_TYPES

CARD_FILE = "model_card.json"
# Types whose predictions are class indices: the card must name the classes.
_LABELLED_TYPES = {"classification", "segmentation", "detection", "video-classification"}


class ModelCardError(ValueError):
    """A model card that is missing, unreadable or does not describe a servable model."""


@dataclass(frozen=True)
class ModelCard:
    model_type: str  # one of MODEL_TYPES
    architecture: str  # e.g. "resnet18"; the viewer builds the network from this name
    weights_file: str  # file name of the weights inside the artifact, e.g. "model.pth"
    class_names: list[str] = field(default_factory=list)
    input_size: list[int] = field(default_factory=list)  # [H, W] (video: [T, H, W])
    normalization: dict[str, list[float]] = field(
        default_factory=dict
    )  # {"mean": [...], "std": [...]}
    metrics: dict[str, float] = field(default_factory=dict)  # final validation metrics
    run_path: str = ""  # "entity/project/run_id" of the producing run
    dataset_artifact: str = ""  # "name:version" of the dataset artifact the run used
    extra: dict[str, Any] = field(default_factory=dict)  # task-specific, e.g. base model id

    def __post_init__(self) -> None:
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ModelCard:
        if not isinstance(data, dict):
            raise ModelCardError(f"a model card must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        if unknown := sorted(set(data) - names):
            raise ModelCardError(f"model card has unknown fields: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as err:  # a required field is missing
            raise ModelCardError(f"model card is incomplete: {err}") from None

    def write(self, directory: str | Path) -> Path:
        path = Path(directory) / CARD_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    @classmethod
    def read(cls, directory_or_file: str | Path) -> ModelCard:
        path = Path(directory_or_file)
        if path.is_dir():
            path = path / CARD_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelCardError(f"no model card at {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ModelCardError(f"model card {path} is not readable JSON: {err}") from None
        return cls.from_dict(data)


def _validate(card: ModelCard) -> None:
    def fail(message: str) -> None:
        raise ModelCardError(f"invalid model card: {message}")

    if card.model_type not in MODEL_TYPES:
        fail(f"model_type {card.model_type!r} is not one of {', '.join(MODEL_TYPES)}")
    for name in ("architecture", "weights_file"):
        value = getattr(card, name)
        if not isinstance(value, str) or not value:
            fail(f"{name} must be a non-empty string")
    if Path(card.weights_file).name != card.weights_file:
        fail(f"weights_file must be a plain file name, got {card.weights_file!r}")
    if not isinstance(card.class_names, list) or not all(
        isinstance(c, str) and c for c in card.class_names
    ):
        fail("class_names must be a list of non-empty strings")
    if card.model_type in _LABELLED_TYPES and len(card.class_names) < 2:
        fail(f"a {card.model_type} model needs at least two class_names")
    if len(set(card.class_names)) != len(card.class_names):
        fail("class_names must be unique")
    if not isinstance(card.input_size, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in card.input_size
    ):
        fail("input_size must be a list of positive integers")
    if card.normalization:
        mean, std = card.normalization.get("mean"), card.normalization.get("std")
        if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == len(std) > 0):
            fail("normalization needs 'mean' and 'std' lists of the same length")
        if any(not isinstance(s, (int, float)) or s <= 0 for s in std):
            fail("normalization std values must be positive numbers")
    if not isinstance(card.metrics, dict) or not all(
        isinstance(v, (int, float)) and math.isfinite(v) for v in card.metrics.values()
    ):
        fail("metrics must map names to finite numbers")
    for name in ("run_path", "dataset_artifact"):
        if not isinstance(getattr(card, name), str):
            fail(f"{name} must be a string")
    if not isinstance(card.extra, dict):
        fail("extra must be a JSON object")
