"""The network: the head swap, the frozen backbone, and the weights the viewer loads.

uv run --package seg-train pytest packages/seg-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
import torch
from seg_train import model as model_module
from seg_train.config import Config
from seg_train.model import (
    WeightsDownloadError,
    build_model,
    mixed_precision_for,
    set_train_mode,
)
from torchvision.models import segmentation


def _viewer_network(num_classes: int) -> torch.nn.Module:
    """What the viewer builds from a model card."""
    return segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False
    )


def test_pretrained_head_swap_loads_into_the_viewers_network(monkeypatch):
    """The pretrained model (21 VOC classes, with aux head) becomes the 3-class, no-aux network."""

    def coco_voc_architecture(weights=None, **kwargs):
        assert weights is not None  # pretrained asks for the DEFAULT weights
        # Same architecture as the downloaded weights, random values (no network in tests).
        return segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=21, aux_loss=True
        )

    monkeypatch.setattr(model_module, "deeplabv3_mobilenet_v3_large", coco_voc_architecture)
    model = build_model(Config(pretrained=True), num_classes=3)
    state = model.state_dict()
    assert not any(key.startswith("aux_classifier") for key in state)
    _viewer_network(3).load_state_dict(state, strict=True)


def test_from_scratch_model_matches_the_viewers_network():
    state = build_model(Config(pretrained=False), num_classes=2).state_dict()
    _viewer_network(2).load_state_dict(state, strict=True)


def test_freeze_backbone_trains_the_head_only():
    model = build_model(Config(pretrained=False, freeze_backbone=True), num_classes=3)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.classifier.parameters())
    set_train_mode(model)
    assert model.classifier.training and not model.backbone.training  # BN statistics stay put


def test_pretrained_weights_offline_say_what_to_do(offline_wandb):
    with pytest.raises(WeightsDownloadError, match="use --smoke, or --no-pretrained"):
        build_model(Config(pretrained=True), num_classes=3)


def test_mixed_precision_follows_the_gpu():
    assert mixed_precision_for(None) == "no"
    assert mixed_precision_for((7, 5)) == "fp16"  # T4: no native bf16
    assert mixed_precision_for((8, 0)) == "bf16"
