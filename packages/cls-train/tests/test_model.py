"""The model and its card (the precision rule is tested once, in wb-common's test_precision.py).

uv run --package cls-train pytest packages/cls-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from cls_train.config import Config, smoke_config
from cls_train.data import SYNTHETIC_CLASSES, prepare_batch
from cls_train.model import WeightsDownloadError, build_model, model_card
from wb_common import ModelCard


def test_the_card_says_how_to_preprocess_exactly_as_prepare_batch_does():
    """What a server does with the card alone (resize, scale, normalise) is what training did."""
    cfg = smoke_config(Config())
    card = model_card(cfg, class_names=SYNTHETIC_CLASSES, metrics={"val/acc": 0.912345})
    assert card == ModelCard.from_dict(card.to_dict())  # valid, and survives JSON
    assert card.model_type == "classification" and card.architecture == "resnet18"
    assert card.metrics == {"val/acc": 0.9123} and card.run_path == ""
    assert card.dataset_artifact == "synthetic-cifar10:latest"
    assert "normalize" in card.extra["preprocessing"]
    images = torch.randint(0, 256, (2, 3, 20, 20), dtype=torch.uint8)
    resized = F.interpolate(images.float(), size=card.input_size, mode="bilinear")
    mean = torch.tensor(card.normalization["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card.normalization["std"]).view(1, 3, 1, 1)
    expected = (resized / 255 - mean) / std
    # prepare_batch resizes uint8 on the CPU (its own fixed-point rounding): within two levels.
    atol = 2 / 255 / min(card.normalization["std"])
    assert torch.allclose(prepare_batch(images, cfg.img_size, train=False), expected, atol=atol)


def test_new_head_has_one_output_per_class():
    model = build_model(Config(pretrained=False), num_classes=7)
    assert model.fc.out_features == 7
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 7)


def test_pretrained_weights_offline_name_the_way_out(offline_wandb):
    """The real torchvision weight download, with the network cut by an unreachable proxy."""
    with pytest.raises(WeightsDownloadError, match="--smoke, or --no-pretrained"):
        build_model(Config(pretrained=True), num_classes=10)
