"""Build a servable model from an artifact folder and its model card alone.

The card names the architecture, the weights file and the classes; nothing here knows which
training package produced the files, so a new version of any task can be served the moment it is
promoted. Each model type loads only the weights formats it names (wb_common.card.WEIGHTS_FORMATS),
checked by suffix and by bytes right before loading (`check_weights`): a TorchScript archive or
an ONNX file, even renamed `.pt`, is refused, since torch.jit.load and Ultralytics would run the
code it carries. Weights are plain `state_dict`s read with `weights_only=True` (no pickled code
runs). Ultralytics checkpoints pickle the module itself, and Ultralytics unpickles them whole by
default: a hostile `best.pt` would run code during the deploy's smoke test (read WANDB_API_KEY,
plant a git hook). They load only through Ultralytics' safe loader (`ULTRALYTICS_SAFE_LOAD=1`: a
`weights_only` load against its allow-list of model classes), which refuses such a file and
still loads real YOLOv8 checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wb_common import ModelCard
from wb_common.card import WeightsFormatError, check_weights
from wb_common.video import sampling_rule

SAFE_LOAD_ENV = "ULTRALYTICS_SAFE_LOAD"  # read once, when ultralytics is first imported


def require_safe_load() -> None:
    """Make every Ultralytics checkpoint load in this process go through its safe loader.

    The deploy and the app call this before they import anything that imports ultralytics;
    `_load_yolo` enforces it again per load, for a process that imported ultralytics earlier.
    """
    os.environ[SAFE_LOAD_ENV] = "1"


# LoRA adapters need their multi-GB base model and a GPU; a CPU host shows their card instead.
NOT_SERVED = {
    "llm-lora": "Qwen3-4B 기반 LoRA는 CPU 서버에서 실시간 생성하지 않습니다 — the 4B base model "
    "needs a GPU; see the sample generations its run logged.",
    "diffusion-lora": "Stable Diffusion 1.5 LoRA는 CPU 서버에서 실시간 생성하지 않습니다 — one "
    "image takes minutes on a CPU; see the sample generations its run logged.",
}


class ModelLoadError(RuntimeError):
    """The artifact's weights do not fit the architecture its card names; one sentence."""


@dataclass
class ServedModel:
    card: ModelCard
    module: Any  # torch.nn.Module, or ultralytics.YOLO for detection
    folder: Path


def _state_dict(path: Path) -> dict[str, Any]:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelLoadError(f"the weights file {path.name} is missing.") from None
    except Exception as err:  # truncated zip, pickle that is not plain tensors, ...
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        why = next(
            (line for line in lines if "Unsupported global" in line), lines[0] if lines else ""
        )
        raise ModelLoadError(
            f"{path.name} is not a readable PyTorch state_dict ({type(err).__name__}: {why[:300]})."
        ) from None
    if not isinstance(state, dict):
        raise ModelLoadError(f"{path.name} holds a {type(state).__name__}, not a state_dict.")
    return state


def _load_state(module: Any, path: Path, card: ModelCard) -> Any:
    state = _state_dict(path)  # unreadable files say so, not "does not fit" (ModelLoadError)
    try:
        module.load_state_dict(state)
    except RuntimeError as err:  # missing/unexpected keys, shape mismatch
        first = str(err).strip().splitlines()
        detail = " ".join(first[:2])[:300]
        raise ModelLoadError(
            f"{path.name} does not fit {card.architecture} with {len(card.class_names)} classes "
            f"({detail})."
        ) from None
    return module.eval()


def _build_torchvision(card: ModelCard) -> Any:
    n = len(card.class_names)
    if card.architecture == "resnet18":
        from torch import nn
        from torchvision.models import resnet18

        model = resnet18(weights=None)
        model.fc = nn.Linear(model.fc.in_features, n)
        return model
    if card.architecture == "deeplabv3_mobilenet_v3_large":
        from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large

        return deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=n, aux_loss=False
        )
    if card.architecture == "r3d_18":
        from torchvision.models.video import r3d_18

        return r3d_18(weights=None, num_classes=n)
    raise ModelLoadError(f"architecture {card.architecture!r} is not one the viewer can build.")


# model_type -> the architectures the viewer serves for it.
ARCHITECTURES = {
    "classification": ("resnet18",),
    "segmentation": ("deeplabv3_mobilenet_v3_large",),
    "detection": ("yolov8n",),
    "video-classification": ("r3d_18",),
}


def _load_yolo(path: Path, card: ModelCard) -> Any:
    # Ultralytics checks GitHub for fonts and updates unless told it is offline.
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")
    from ultralytics import YOLO
    from ultralytics.nn import tasks

    if not tasks._SafeLoad.SUPPORTED:  # torch < 2.6 has no restricted checkpoint loading
        raise ModelLoadError("safe loading of Ultralytics checkpoints needs torch 2.6 or newer.")
    if not path.is_file():
        raise ModelLoadError(f"the weights file {path.name} is missing.")
    flag = tasks.SAFE_LOAD
    tasks.SAFE_LOAD = True  # the loader reads this module global at call time
    try:
        model = YOLO(str(path), task="detect")
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(
            f"{path.name} is not a safely loadable Ultralytics checkpoint ({first[:300]})."
        ) from None
    finally:
        tasks.SAFE_LOAD = flag
    names = [model.names[i] for i in sorted(model.names)]
    if names != card.class_names:
        raise ModelLoadError(
            f"{path.name} predicts {len(names)} classes ({', '.join(names[:3])}, ...) but the "
            f"card lists {len(card.class_names)} ({', '.join(card.class_names[:3])}, ...)."
        )
    return model


def load_model(folder: str | Path, card: ModelCard | None = None) -> ServedModel:
    """The model the artifact in `folder` holds, ready for inference on the CPU."""
    folder = Path(folder)
    card = card or ModelCard.read(folder)
    if card.model_type in NOT_SERVED:
        raise ModelLoadError(NOT_SERVED[card.model_type])
    if card.architecture not in ARCHITECTURES.get(card.model_type, ()):
        raise ModelLoadError(
            f"a {card.model_type} card naming {card.architecture!r} is not servable here "
            f"(expected {' or '.join(ARCHITECTURES.get(card.model_type, ('nothing',)))})."
        )
    if card.model_type == "video-classification":
        try:  # the frames it was trained on: refused here, before any upload is sampled otherwise
            sampling_rule(card.extra)
        except ValueError as err:
            raise ModelLoadError(str(err)) from None
    dims = 3 if card.model_type == "video-classification" else 2
    if len(card.input_size) != dims:
        raise ModelLoadError(
            f"a {card.model_type} card needs input_size with {dims} numbers, got {card.input_size}."
        )
    if Path(card.weights_file).name != card.weights_file or card.weights_file in ("", ".", ".."):
        raise ModelLoadError(f"the card's weights_file {card.weights_file!r} is not a file name.")
    weights = folder / card.weights_file
    if not weights.exists():
        raise ModelLoadError(f"the weights file {weights.name} is missing.")
    try:  # again here, not only at deploy: the app loads whatever files the host holds
        check_weights(weights, card)
    except WeightsFormatError as err:
        raise ModelLoadError(str(err)) from None
    if card.model_type == "detection":
        return ServedModel(card, _load_yolo(weights, card), folder)
    module = _build_torchvision(card)
    return ServedModel(card, _load_state(module, weights, card), folder)
