"""ResNet-18 with a new head, its model card, and the choice of mixed precision for the GPU."""

from __future__ import annotations

from torch import nn
from torchvision.models import ResNet18_Weights, resnet18
from wb_common import ModelCard

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import mixed_precision  # noqa: F401
from wb_common.tasks import TASKS

from cls_train.config import TASK, Config
from cls_train.data import IMAGENET_MEAN, IMAGENET_STD

ARCHITECTURE = "resnet18"
WEIGHTS_FILE = "model.pth"  # the state_dict inside the model artifact, beside model_card.json
# What `prepare_batch(..., train=False)` does, written into the card for whoever serves the model.
PREPROCESSING = "RGB, resize to input_size (bilinear), scale to [0, 1], normalize"


class WeightsDownloadError(RuntimeError):
    """The pretrained weights could not be fetched; the message (Korean, then English) says what
    to do instead."""


def build_model(cfg: Config, num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 (ImageNet weights unless not `pretrained`), a `num_classes` head."""
    weights = ResNet18_Weights.DEFAULT if cfg.pretrained else None
    try:
        model = resnet18(weights=weights)
    except Exception as err:  # URLError, HTTPError, a truncated download in TORCH_HOME
        raise WeightsDownloadError(
            "사전 학습 가중치를 내려받지 못했습니다 — "
            f"ResNet-18 ImageNet weights could not be downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from scratch."
        ) from None
    # Only the 1000-class ImageNet layer is replaced; every other layer keeps its weights.
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def model_card(
    cfg: Config,
    *,
    class_names: list[str],
    metrics: dict[str, float] | None = None,
    run_path: str = "",
) -> ModelCard:
    """The one place the classifier's card is built: train(), notebook 01 and the viewer's tests.

    Everything the viewer needs to rebuild `build_model` and preprocess an upload exactly as
    `prepare_batch(..., train=False)` does: architecture, classes, input size, normalisation.
    """
    return ModelCard(
        model_type=TASKS[TASK].model_type,
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=list(class_names),
        input_size=[cfg.img_size, cfg.img_size],
        normalization={"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        metrics={k: round(v, 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        extra={"preprocessing": PREPROCESSING},
    )
