"""R3D-18 with a new head, and the choice of mixed precision for the GPU at hand."""

from __future__ import annotations

from torch import nn
from torchvision.models.video import R3D_18_Weights, r3d_18

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import device_capability, mixed_precision_for  # noqa: F401

from video_train.config import Config

ARCHITECTURE = "r3d_18"  # torchvision.models.video.r3d_18: what the viewer rebuilds from the card


class WeightsDownloadError(RuntimeError):
    """The pretrained weights could not be fetched; the message says what to do instead."""


def build_model(cfg: Config, num_classes: int) -> nn.Module:
    """torchvision's R3D-18 (Kinetics-400 weights unless not `pretrained`), a `num_classes` head.

    The smoke run keeps the full network too: its `model.pth` then loads into
    `r3d_18(weights=None, num_classes=...)` with `strict=True`, exactly like a real one.
    """
    weights = R3D_18_Weights.DEFAULT if cfg.pretrained else None
    try:
        model = r3d_18(weights=weights)
    except Exception as err:  # URLError, HTTPError, a truncated download in TORCH_HOME
        raise WeightsDownloadError(
            f"R3D-18 Kinetics-400 weights could not be downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from scratch."
        ) from None
    # Only the 400-class Kinetics layer is replaced; every other layer keeps its weights.
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model
