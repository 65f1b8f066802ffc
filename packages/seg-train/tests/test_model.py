"""The network: the head swap, the frozen backbone, the weights and the card the viewer loads.

The precision rule is tested once, in wb-common's test_precision.py.

uv run --package seg-train pytest packages/seg-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
import torch
from seg_train import model as model_module
from seg_train.config import Config, smoke_config
from seg_train.data import CLASS_MAPPINGS
from seg_train.model import WeightsDownloadError, build_model, model_card, set_train_mode
from torchvision.models import segmentation
from wb_common import ModelCard


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


@pytest.mark.parametrize("class_mapping", ["trimap", "binary"])
def test_the_card_alone_builds_the_network_and_names_its_classes(class_mapping):
    """What the viewer does with a card: the network, the classes and the trimap mapping."""
    cfg = smoke_config(Config(class_mapping=class_mapping))
    card = model_card(cfg, metrics={"val/mean_iou": 0.612345}, run_path="team/p/abc")
    assert card == ModelCard.from_dict(card.to_dict())  # valid, and survives JSON
    assert card.model_type == "segmentation" and card.weights_file == "model.pth"
    assert card.metrics == {"val/mean_iou": 0.6123} and card.run_path == "team/p/abc"
    assert card.input_size == [48, 48] and card.dataset_artifact == "synthetic-pets:latest"
    mapping = CLASS_MAPPINGS[class_mapping]
    assert card.class_names == mapping.class_names
    trimap_to_class = {int(k): v for k, v in card.extra["trimap_to_class"].items()}
    assert trimap_to_class == mapping.trimap_to_class
    assert {"preprocessing", "output"} <= set(card.extra)
    state = build_model(cfg, num_classes=len(card.class_names)).state_dict()
    _viewer_network(len(card.class_names)).load_state_dict(state, strict=True)
