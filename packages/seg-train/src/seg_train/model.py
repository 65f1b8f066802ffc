"""DeepLabV3 with a MobileNetV3-Large backbone and a new head, its model card, and the
mixed-precision choice."""

from __future__ import annotations

from torch import nn
from torchvision.models.segmentation import (
    DeepLabV3_MobileNet_V3_Large_Weights,
    deeplabv3_mobilenet_v3_large,
)
from wb_common import ModelCard

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import mixed_precision  # noqa: F401
from wb_common.tasks import TASKS

from seg_train.config import TASK, Config
from seg_train.data import IMAGENET_MEAN, IMAGENET_STD, get_mapping

ARCHITECTURE = "deeplabv3_mobilenet_v3_large"
WEIGHTS_FILE = "model.pth"  # the state_dict inside the model artifact, beside model_card.json
# What `prepare_batch(..., train=False)` does, written into the card for whoever serves the model.
PREPROCESSING = "RGB, resize to input_size (bilinear), scale to [0, 1], normalize"
OUTPUT = "model(x)['out']: logits (B, len(class_names), H, W); argmax over dim 1"


class WeightsDownloadError(RuntimeError):
    """The pretrained weights could not be fetched; the message (Korean, then English) says what
    to do instead."""


def build_model(cfg: Config, num_classes: int) -> nn.Module:
    """torchvision's DeepLabV3-MobileNetV3-Large with a `num_classes` head and no aux head.

    The saved state_dict loads with `strict=True` into
    `deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=num_classes,
    aux_loss=False)`: exactly what the viewer builds from the model card.
    """
    if cfg.pretrained:
        try:
            # COCO-trained with the 21 Pascal VOC labels; 'cat' and 'dog' are among them.
            model = deeplabv3_mobilenet_v3_large(
                weights=DeepLabV3_MobileNet_V3_Large_Weights.DEFAULT
            )
        except Exception as err:  # URLError, HTTPError, a truncated download in TORCH_HOME
            raise WeightsDownloadError(
                "사전 학습 가중치를 내려받지 못했습니다 — DeepLabV3-MobileNetV3 weights could "
                f"not be downloaded ({type(err).__name__}): "
                "use --smoke, or --no-pretrained to train from scratch."
            ) from None
        # Only the last 1x1 conv (256 -> 21 VOC classes) is replaced; ASPP keeps its weights.
        head = model.classifier[-1]
        model.classifier[-1] = nn.Conv2d(head.in_channels, num_classes, kernel_size=1)
    else:
        model = deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False
        )
        # torchvision's MobileNetV3 uses BatchNorm momentum 0.01, made for long ImageNet runs.
        # From scratch in a few dozen steps (--smoke) the running statistics would still sit
        # near their initial values, and eval-mode masks would be noise: use PyTorch's 0.1.
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = 0.1
    # No auxiliary head: the loss is on the main output only, so the saved weights are exactly
    # the aux_loss=False network the viewer builds.
    model.aux_classifier = None
    if cfg.freeze_backbone:
        model.backbone.requires_grad_(False)
    return model


def backbone_frozen(model: nn.Module) -> bool:
    return not any(p.requires_grad for p in model.backbone.parameters())


def set_train_mode(model: nn.Module) -> None:
    """`model.train()`, except that a frozen backbone stays in eval mode.

    Frozen weights with BatchNorm in training mode would still drift: its running statistics
    follow every batch. Eval mode keeps the pretrained statistics the frozen weights expect.
    """
    model.train()
    inner = getattr(model, "module", model)  # under DistributedDataParallel the net is .module
    if backbone_frozen(inner):
        inner.backbone.eval()


def model_card(
    cfg: Config, *, metrics: dict[str, float] | None = None, run_path: str = ""
) -> ModelCard:
    """The one place the segmenter's card is built: train(), notebook 02 and the viewer's tests.

    The classes come from `cfg.class_mapping` (the mapping the data was built with), and
    `extra.trimap_to_class` says how Oxford's trimap values become them. With the card alone the
    viewer builds the `build_model(..., pretrained=False)` network and preprocesses an upload as
    `prepare_batch(..., train=False)` does.
    """
    mapping = get_mapping(cfg.class_mapping)
    return ModelCard(
        model_type=TASKS[TASK].model_type,
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=list(mapping.class_names),
        input_size=[cfg.img_size, cfg.img_size],
        normalization={"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        metrics={k: round(v, 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        extra={
            "trimap_to_class": mapping.trimap_json(),  # trimap value -> index into class_names
            "preprocessing": PREPROCESSING,
            "output": OUTPUT,
        },
    )
