"""The range checks every package's `check_config` makes, each sentence written once.

Each function returns the sentence to show (Korean first, then English), or None when the values
are fine, so that each package still raises its own ConfigError (a `checks.ConfigError`):

    if problem := checks.too_small(cfg, "epochs", "batch_size"):
        raise ConfigError(problem)

Only the rules two or more packages share live here; a rule one package owns (YOLO's stride of
32, H.264's even frame size) stays in that package's check_config, with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A config value out of range: each package's ConfigError derives from it, so the CLI can
    refuse a bad flag before it imports the package's training code."""


def one_of(cfg: Any, name: str, choices: Iterable[str], *, called: str) -> str | None:
    """`cfg.<name>` is one of `choices`; `called` is its Korean name (데이터셋, 옵티마이저)."""
    value = getattr(cfg, name)
    choices = list(choices)
    if value in choices:
        return None
    return (
        f"알 수 없는 {called}입니다 — unknown {name.replace('_', ' ')} {value!r}: "
        f"choose one of {', '.join(choices)}."
    )


def not_positive(cfg: Any, *names: str) -> str | None:
    """The first of `names` that is not above 0 (a learning rate, a clip length)."""
    for name in names:
        value = getattr(cfg, name)
        if not value > 0:
            return f"{name}은(는) 양수여야 합니다 — {name} must be a positive number, got {value}."
    return None


def negative(cfg: Any, *names: str) -> str | None:
    """The first of `names` below 0 (weight decay may be 0, never less)."""
    for name in names:
        value = getattr(cfg, name)
        if value < 0:
            return f"{name}은(는) 음수일 수 없습니다 — {name} must not be negative, got {value}."
    return None


def too_small(cfg: Any, *names: str, minimum: int = 1) -> str | None:
    """The first of `names` under `minimum`; None means "not set" (e.g. max_train_samples)."""
    for name in names:
        value = getattr(cfg, name)
        if value is not None and value < minimum:
            return (
                f"{name}은(는) {minimum} 이상이어야 합니다 — "
                f"{name} must be at least {minimum}, got {value}."
            )
    return None


def too_large(cfg: Any, name: str, *, maximum: int) -> str | None:
    """`cfg.<name>` above `maximum`: an image size that would only end in an out-of-memory
    traceback after the data is loaded (each package says why its maximum)."""
    value = getattr(cfg, name)
    if value is None or value <= maximum:
        return None
    return (
        f"{name}은(는) {maximum} 이하여야 합니다 — {name} must be at most {maximum}, got {value}."
    )
