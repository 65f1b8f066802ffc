"""The model card: everything the viewer needs to load a model and preprocess its input.

One dataclass, written twice into every model artifact — as `model_card.json` inside it and as the
artifact's metadata — so training and serving can never disagree about class names, input size or
normalisation (docs/architecture.md).

A card read back comes from an artifact, so it is untrusted: `read` takes only a regular file of at
most MAX_CARD_BYTES (a FIFO or a device never blocks it), strict JSON (no NaN/Infinity, no repeated
key), and `_validate` bounds every number the viewer allocates by (input size, classes, frames).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from wb_common.tasks import MODEL_TYPES

CARD_FILE = "model_card.json"
# Real cards are a few KB (the LLM card's chat template is the longest); reading is bounded.
MAX_CARD_BYTES = 1 << 20
# Types whose predictions are class indices: the card must name the classes.
_LABELLED_TYPES = {"classification", "segmentation", "detection", "video-classification"}
# The weights formats each model type's loader reads, by file suffix. Torchvision models are a
# `torch.save` state_dict (read with weights_only=True), detection an Ultralytics `.pt` checkpoint
# (its safe loader), LoRA adapters safetensors. Anything else — `.torchscript`, `.onnx`,
# `.engine`, ... — would reach a loader that runs the file's own code, so it is refused here; the
# bytes are checked too (check_weights) before any loader sees them.
WEIGHTS_FORMATS: dict[str, tuple[str, ...]] = {
    "classification": (".pth", ".pt"),
    "segmentation": (".pth", ".pt"),
    "video-classification": (".pth", ".pt"),
    "detection": (".pt",),
    "llm-lora": (".safetensors",),
    "diffusion-lora": (".safetensors",),
}
# input_size: [H, W] (video: [T, H, W]); the viewer allocates a float tensor of that size per
# request, so each side is bounded (2048² x 3 float32 = 50 MB; a clip 128 x 512² x 3 = 400 MB).
MAX_IMAGE_SIDE = 2048
MAX_VIDEO_SIDE = 512
MAX_CLIP_FRAMES = 128
MAX_CLIP_SECONDS = 60.0  # extra.clip_duration: the window of an upload the viewer decodes
MAX_CLASSES = 1000  # ImageNet's count; each class costs a colour, a legend row, a softmax slot
MAX_NAME_CHARS = 200  # a class name, an architecture, a file name


class ModelCardError(ValueError):
    """A model card that is missing, unreadable or does not describe a servable model."""


def unsafe_chars(text: str, allow: str = "") -> list[str]:
    """Characters that reorder or hide text where a person reads it: bidi overrides and isolates
    (U+202E, U+2066...), zero-width and other format characters, controls, line separators."""
    return [
        c for c in text if c not in allow and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
    ]


def escape_unsafe(text: str, allow: str = "\n\t") -> str:
    """`text` with every unsafe character (see unsafe_chars) written as `\\uXXXX`."""
    return "".join(f"\\u{ord(c):04x}" if unsafe_chars(c, allow) else c for c in text)


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
        return cls.from_dict(strict_json(read_regular_file(path, MAX_CARD_BYTES), str(path)))


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; ModelCardError else.

    Opened non-blocking and checked with fstat on the open descriptor: a FIFO, a device or a
    socket named model_card.json is refused at once instead of blocking the reader forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ModelCardError(f"no model card at {path}") from None
    except OSError as err:  # no permission, a folder
        raise ModelCardError(f"model card {path} cannot be opened ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ModelCardError(f"model card {path} is not a regular file")
        if info.st_size > limit:
            raise ModelCardError(f"model card {path} is {info.st_size} bytes, more than {limit}")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ModelCardError(f"model card {path} is more than {limit} bytes")
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ModelCardError(f"repeats the key {key!r}")
        seen.add(key)
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise ModelCardError(f"contains {name}, which is not JSON")


def strict_json(data: bytes, where: str) -> Any:
    """RFC 8259 JSON only: no NaN/Infinity, no repeated keys, no number that overflows to inf."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except ModelCardError as err:
        raise ModelCardError(f"model card {where} {err}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # JSONDecodeError included
        raise ModelCardError(f"model card {where} is not readable JSON: {err}") from None
    if not _all_finite(value):
        raise ModelCardError(f"model card {where} holds a number that is not finite (1e400?)")
    return value


def _all_finite(value: Any) -> bool:
    stack = [value]  # iterative: a deep document cannot exhaust the stack here
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fail(message: str) -> NoReturn:
    raise ModelCardError(f"invalid model card: {message}")


def _validate(card: ModelCard) -> None:
    if card.model_type not in MODEL_TYPES:
        _fail(f"model_type {card.model_type!r} is not one of {', '.join(MODEL_TYPES)}")
    _validate_weights_file(card)
    _validate_class_names(card)
    _validate_input_size(card)
    _validate_normalization(card.normalization)
    _validate_provenance(card)
    _validate_extra(card.extra)


def _validate_weights_file(card: ModelCard) -> None:
    """The names are short, printable, and the weights a plain file in an allow-listed format."""
    for name in ("architecture", "weights_file"):
        value = getattr(card, name)
        if not isinstance(value, str) or not value or len(value) > MAX_NAME_CHARS:
            _fail(f"{name} must be a non-empty string of at most {MAX_NAME_CHARS} characters")
        if unsafe_chars(value):
            _fail(f"{name} holds a control or bidi character")
    if Path(card.weights_file).name != card.weights_file or card.weights_file in (".", ".."):
        _fail(f"weights_file must be a plain file name, got {card.weights_file!r}")
    formats = WEIGHTS_FORMATS[card.model_type]
    if not card.weights_file.lower().endswith(formats):
        _fail(
            f"a {card.model_type} model's weights_file must end in {' or '.join(formats)}, got "
            f"{card.weights_file!r} (other formats can run code when loaded)"
        )


def _validate_class_names(card: ModelCard) -> None:
    if not isinstance(card.class_names, list) or not all(
        isinstance(c, str) and c and len(c) <= MAX_NAME_CHARS and not unsafe_chars(c)
        for c in card.class_names
    ):
        _fail(
            f"class_names must be a list of non-empty strings of at most {MAX_NAME_CHARS} "
            "characters, without control or bidi characters"
        )
    if card.model_type in _LABELLED_TYPES and len(card.class_names) < 2:
        _fail(f"a {card.model_type} model needs at least two class_names")
    if len(card.class_names) > MAX_CLASSES:
        _fail(f"{len(card.class_names)} class_names, more than {MAX_CLASSES}")
    if len(set(card.class_names)) != len(card.class_names):
        _fail("class_names must be unique")


def _validate_input_size(card: ModelCard) -> None:
    size = card.input_size
    if not isinstance(size, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size
    ):
        _fail("input_size must be a list of positive integers")
    video = card.model_type == "video-classification"
    if len(size) > 3:  # how many a served model needs, the loader checks (viewer.models)
        _fail(f"input_size has at most three numbers, got {len(size)}")
    if video and size[0] > MAX_CLIP_FRAMES:
        _fail(f"input_size asks for {size[0]} frames, more than {MAX_CLIP_FRAMES}")
    side = MAX_VIDEO_SIDE if video else MAX_IMAGE_SIDE
    if any(n > side for n in size[-2:]):
        _fail(f"input_size {size} has a side over {side} pixels")


def _validate_normalization(normalization: Any) -> None:
    """Empty, or a mean and a std per RGB channel (inputs are scaled to [0, 1] first)."""
    if not isinstance(normalization, dict):
        _fail("normalization must be a JSON object")
    if not normalization:
        return
    if set(normalization) != {"mean", "std"}:
        _fail("normalization needs exactly 'mean' and 'std'")
    mean, std = normalization["mean"], normalization["std"]
    # A channel's mean lies in [0, 1], its std in (0, 0.5].
    if not (isinstance(mean, list) and len(mean) == 3 and all(_number(m) for m in mean)):
        _fail("normalization mean must be three finite numbers (R, G, B)")
    if not all(0 <= m <= 1 for m in mean):
        _fail("normalization mean values must lie in [0, 1]")
    if not (isinstance(std, list) and len(std) == 3 and all(_number(s) for s in std)):
        _fail("normalization std must be three finite numbers (R, G, B)")
    if not all(0.001 <= s <= 1 for s in std):
        _fail("normalization std values must be positive, between 0.001 and 1")


def _validate_provenance(card: ModelCard) -> None:
    """The metrics and where the model came from: plain values, nothing that reorders text."""
    if not isinstance(card.metrics, dict) or not all(
        isinstance(k, str) and not unsafe_chars(k) and _number(v) for k, v in card.metrics.items()
    ):
        _fail("metrics must map names to finite numbers")
    for name in ("run_path", "dataset_artifact"):
        value = getattr(card, name)
        if not isinstance(value, str) or unsafe_chars(value):
            _fail(f"{name} must be a string without control or bidi characters")


def _validate_extra(extra: Any) -> None:
    if not isinstance(extra, dict):
        _fail("extra must be a JSON object")
    if not _all_finite(extra):
        _fail("extra holds a number that is not finite")
    if "clip_duration" in extra:
        seconds = extra["clip_duration"]
        if not _number(seconds) or not 0 < seconds <= MAX_CLIP_SECONDS:
            _fail(f"extra.clip_duration must be a number of seconds in (0, {MAX_CLIP_SECONDS:g}]")


class WeightsFormatError(ModelCardError):
    """Weights whose bytes are not the format their model type loads; one Korean-English line."""


# Every member `torch.save` writes into its zip archive (torch 2.x): the pickle of plain
# containers, its tensors' raw bytes, and bookkeeping. A TorchScript archive adds `code/` (the
# model's Python, compiled and run by torch.jit.load) and `constants.pkl`; nothing else belongs.
_TORCH_SAVE_MEMBER = re.compile(
    r"[^/]+/(data\.pkl|byteorder|version|\.format_version|\.storage_alignment"
    r"|\.data/serialization_id|data/[0-9]+)"
)
_TORCHSCRIPT_MEMBER = re.compile(r"[^/]+/(code/|constants\.pkl$|.*\.debug_pkl$)")
MAX_SAFETENSORS_HEADER = 100 << 20  # safetensors' own limit on its JSON header


def _torch_save_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "not a torch.save zip archive (an ONNX protobuf, a legacy pickle, ...)"
    names = [m.filename for m in members]
    if any(_TORCHSCRIPT_MEMBER.match(n) for n in names):
        return "a TorchScript archive: loading it compiles and runs the code inside it"
    roots = {n.split("/", 1)[0] for n in names}
    if len(roots) != 1 or f"{next(iter(roots))}/data.pkl" not in names:
        return "not a torch.save archive (no single <name>/data.pkl)"
    if odd := [n for n in names if not _TORCH_SAVE_MEMBER.fullmatch(n)]:
        return f"a zip archive with members torch.save never writes ({odd[0][:80]!r})"
    if any(m.compress_type != zipfile.ZIP_STORED or m.flag_bits & 0x1 for m in members):
        return "a zip archive with compressed or encrypted members (torch.save stores them as is)"
    return None


def _safetensors_problem(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(9)
    size = int.from_bytes(head[:8], "little") if len(head) == 9 else 0
    if not (2 <= size <= MAX_SAFETENSORS_HEADER and head[8:9] == b"{"):
        return "not a safetensors file (no JSON header after its 8-byte length)"
    return None


def check_weights(path: str | Path, card: ModelCard) -> None:
    """Refuse weights whose suffix or bytes are not a format `card.model_type` loads safely.

    By suffix (WEIGHTS_FORMATS) and by content: a TorchScript or ONNX file renamed `.pt` is
    refused before torch.load or Ultralytics sees it. Raises WeightsFormatError, one sentence.
    """
    path = Path(path)
    formats = WEIGHTS_FORMATS.get(card.model_type, ())
    why = None
    if not path.name.lower().endswith(formats):
        why = f"a {card.model_type} model loads only {' or '.join(formats) or 'nothing'}"
    else:
        try:
            info = os.stat(path)
        except OSError as err:
            raise WeightsFormatError(
                f"가중치 파일 {path.name}을(를) 읽을 수 없습니다 — the weights file {path.name} "
                f"cannot be read ({err.strerror})."
            ) from None
        if not stat.S_ISREG(info.st_mode):
            why = "not a regular file"
        elif path.name.lower().endswith(".safetensors"):
            why = _safetensors_problem(path)
        else:
            why = _torch_save_problem(path)
    if why is not None:
        raise WeightsFormatError(
            f"가중치 파일 {path.name}은(는) 이 모델 유형이 안전하게 읽는 형식이 아니어서 "
            f"거부합니다 — refused the weights file {path.name}: {why}."
        )
