"""How a video model's frames are sampled: one rule, named in its model card, for training and
serving alike.

video-train decodes its clips with `clip_times`; its model card says so in
`extra["frame_sampling"]`; the viewer looks the name up in `FRAME_SAMPLING_RULES` and samples an
upload the same way. A card naming a rule this code does not know gets one sentence, not a model
that quietly sees other frames than it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

UNIFORM = "uniform over clip_duration"  # the card's name for `clip_times`
DEFAULT_CLIP_SECONDS = 2.0  # a card without extra.clip_duration: R3D-18's 16 frames at 8 fps


def clip_times(duration: float, num_frames: int, clip_duration: float) -> list[float]:
    """When to take `num_frames` frames: evenly over `clip_duration` seconds in the middle.

    Each frame sits at the centre of its slot. A video shorter than `clip_duration` is sampled
    over its whole length; an unknown duration (0) samples from the start.
    """
    span = min(clip_duration, duration) if duration > 0 else clip_duration
    start = max(0.0, (duration - span) / 2)
    step = span / num_frames
    return [start + (i + 0.5) * step for i in range(num_frames)]


FRAME_SAMPLING_RULES: dict[str, Callable[[float, int, float], list[float]]] = {UNIFORM: clip_times}


def sampling_rule(extra: Mapping[str, Any]) -> Callable[[float, int, float], list[float]]:
    """The rule a card's `extra["frame_sampling"]` names (a card without one: `clip_times`)."""
    name = extra.get("frame_sampling", UNIFORM)
    if name not in FRAME_SAMPLING_RULES:
        raise ValueError(
            f"모델 카드의 frame_sampling {name!r}을(를) 알 수 없습니다 — unknown frame_sampling "
            f"{name!r}; known: {', '.join(FRAME_SAMPLING_RULES)}."
        )
    return FRAME_SAMPLING_RULES[name]
