"""One prediction per model type, with the preprocessing the model card prescribes.

Resize to the card's `input_size` (bilinear, antialiased), scale to [0, 1], normalise with the
card's mean/std: the same steps the training's evaluation used, read from the same card, so the
viewer and the training cannot drift apart. Detection leaves preprocessing to Ultralytics, as its
training did.
"""

from __future__ import annotations

import colorsys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from wb_common import ModelCard

from viewer.models import ServedModel
from viewer.uploads import Clip

TOP_K = 5
DETECTION_CONFIDENCE = 0.25  # Ultralytics' default, for cards that do not name their own `conf`
MAX_BOXES = 50  # a readable picture; a smoke detector at conf 0.001 proposes hundreds
MASK_ALPHA = 0.5


class NonFiniteOutput(ValueError):
    """The model answered NaN or infinity: nothing to show, and never deployed."""


def _finite(output: torch.Tensor) -> torch.Tensor:
    if not bool(torch.isfinite(output).all()):
        raise NonFiniteOutput(
            "모델 출력에 NaN 또는 무한대가 있습니다 — the model's output holds NaN or infinity."
        )
    return output


@dataclass
class Prediction:
    model_type: str
    summary: str  # one line, e.g. "circle-red 97.1%"
    top: list[tuple[str, float]] = field(default_factory=list)  # (class, probability)
    image: Image.Image | None = None  # the visualisation: boxes drawn, mask overlaid
    legend: list[tuple[str, tuple[int, int, int], float]] = field(default_factory=list)
    boxes: list[dict[str, Any]] = field(default_factory=list)  # detection: label, conf, xyxy
    latency_ms: float = 0.0


def class_colours(n: int) -> list[tuple[int, int, int]]:
    """`n` well-separated colours (evenly spaced hues), one per class."""
    return [
        tuple(round(c * 255) for c in colorsys.hsv_to_rgb(i / max(n, 1), 0.85, 0.95))
        for i in range(n)
    ]


def _normalise(x: torch.Tensor, card: ModelCard, channel_dim: int) -> torch.Tensor:
    if not card.normalization:
        return x
    shape = [1] * x.dim()
    shape[channel_dim] = -1
    mean = torch.tensor(card.normalization["mean"], dtype=x.dtype).view(shape)
    std = torch.tensor(card.normalization["std"], dtype=x.dtype).view(shape)
    return (x - mean) / std


def image_tensor(image: Image.Image, card: ModelCard) -> torch.Tensor:
    """RGB PIL image -> normalised float (1, 3, H, W) at the card's input_size."""
    x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.uint8).copy())
    x = x.permute(2, 0, 1)[None].float().div_(255)
    height, width = card.input_size
    if x.shape[-2:] != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True)
    return _normalise(x, card, channel_dim=1)


def clip_tensor(clip: Clip, card: ModelCard) -> torch.Tensor:
    """The card's T frames (already H x W, see uploads.read_video) -> normalised (1, 3, T, H, W)."""
    length, height, width = card.input_size
    if clip.frames.shape[:3] != (length, height, width):
        raise ValueError(f"clip has shape {clip.frames.shape}, the card wants {card.input_size}")
    x = torch.from_numpy(clip.frames).permute(3, 0, 1, 2).float().div_(255)  # (3, T, H, W)
    return _normalise(x[None], card, channel_dim=1)


def _top(card: ModelCard, logits: torch.Tensor) -> list[tuple[str, float]]:
    probs = logits.float().softmax(-1)[0]
    values, indices = probs.topk(min(TOP_K, len(card.class_names)))
    return [(card.class_names[i], float(p)) for p, i in zip(values, indices.tolist(), strict=True)]


def _summary(top: list[tuple[str, float]]) -> str:
    name, prob = top[0]
    return f"{name} {prob:.1%}"


@torch.inference_mode()
def classify(served: ServedModel, image: Image.Image) -> Prediction:
    top = _top(served.card, _finite(served.module(image_tensor(image, served.card))))
    return Prediction("classification", _summary(top), top=top, image=image)


@torch.inference_mode()
def segment(served: ServedModel, image: Image.Image) -> Prediction:
    card = served.card
    logits = _finite(served.module(image_tensor(image, card))["out"])  # (1, classes, H, W)
    # Upsample the logits, not the mask: class borders follow the image, not the input grid.
    logits = F.interpolate(logits, size=image.size[::-1], mode="bilinear", align_corners=False)
    mask = logits.argmax(1)[0].numpy()
    colours = np.array(class_colours(len(card.class_names)), dtype=np.float32)
    pixels = np.asarray(image, dtype=np.float32)
    overlay = pixels * (1 - MASK_ALPHA) + colours[mask] * MASK_ALPHA
    shares = np.bincount(mask.ravel(), minlength=len(card.class_names)) / mask.size
    legend = [
        (name, tuple(int(c) for c in colours[i]), float(shares[i]))
        for i, name in enumerate(card.class_names)
    ]
    main = max(legend, key=lambda item: item[2])
    return Prediction(
        "segmentation",
        f"{main[0]} {main[2]:.1%}",
        image=Image.fromarray(overlay.round().astype(np.uint8)),
        legend=legend,
    )


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    # Pillow's bundled font: nothing to download (Ultralytics' plot() fetches Arial.ttf).
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed-size bitmap font
        return ImageFont.load_default()


def detect(served: ServedModel, image: Image.Image) -> Prediction:
    card = served.card
    conf = float(card.extra.get("conf", DETECTION_CONFIDENCE))  # the threshold training used
    result = served.module.predict(
        image, imgsz=card.input_size[0], conf=conf, max_det=MAX_BOXES, device="cpu", verbose=False
    )[0]
    _finite(result.boxes.data)
    colours = class_colours(len(card.class_names))
    drawn = image.copy()
    draw = ImageDraw.Draw(drawn)
    font = _font(max(12, image.height // 40))
    boxes = []
    for xyxy, cls, conf in zip(
        result.boxes.xyxy.tolist(),
        result.boxes.cls.tolist(),
        result.boxes.conf.tolist(),
        strict=True,
    ):
        label = card.class_names[int(cls)]
        colour = colours[int(cls)]
        caption = f"{label} {conf:.2f}"
        draw.rectangle(xyxy, outline=colour, width=max(2, image.width // 200))
        left, top, right, bottom = draw.textbbox((xyxy[0], xyxy[1]), caption, font=font)
        draw.rectangle((left, top, right, bottom), fill=colour)
        draw.text((xyxy[0], xyxy[1]), caption, fill=(0, 0, 0), font=font)
        boxes.append({"label": label, "confidence": conf, "xyxy": [round(v, 1) for v in xyxy]})
    found = ", ".join(f"{b['label']} {b['confidence']:.2f}" for b in boxes[:3])
    summary = f"{len(boxes)} objects: {found}" if boxes else f"0 objects above confidence {conf}"
    return Prediction("detection", summary, image=drawn, boxes=boxes)


@torch.inference_mode()
def classify_video(served: ServedModel, clip: Clip) -> Prediction:
    top = _top(served.card, _finite(served.module(clip_tensor(clip, served.card))))
    return Prediction("video-classification", _summary(top), top=top)


def predict(served: ServedModel, item: Image.Image | Clip) -> Prediction:
    """Run the served model on one image (or clip) and time it."""
    start = time.perf_counter()
    model_type = served.card.model_type
    if model_type == "video-classification":
        if not isinstance(item, Clip):
            raise TypeError("a video model needs a Clip")
        prediction = classify_video(served, item)
    elif not isinstance(item, Image.Image):
        raise TypeError(f"a {model_type} model needs an image")
    elif model_type == "classification":
        prediction = classify(served, item)
    elif model_type == "segmentation":
        prediction = segment(served, item)
    else:
        prediction = detect(served, item)
    prediction.latency_ms = (time.perf_counter() - start) * 1000
    return prediction
