"""ResNet-18 with a new head, and the choice of mixed precision for the GPU at hand."""

from __future__ import annotations

from torch import nn
from torchvision.models import ResNet18_Weights, resnet18

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import device_capability, mixed_precision_for  # noqa: F401

from cls_train.config import Config

ARCHITECTURE = "resnet18"


class WeightsDownloadError(RuntimeError):
    """The pretrained weights could not be fetched; the message says what to do instead."""


def build_model(cfg: Config, num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 (ImageNet weights unless not `pretrained`), a `num_classes` head."""
    weights = ResNet18_Weights.DEFAULT if cfg.pretrained else None
    try:
        model = resnet18(weights=weights)
    except Exception as err:  # URLError, HTTPError, a truncated download in TORCH_HOME
        raise WeightsDownloadError(
            f"ResNet-18 ImageNet weights could not be downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from scratch."
        ) from None
    # Only the 1000-class ImageNet layer is replaced; every other layer keeps its weights.
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model
