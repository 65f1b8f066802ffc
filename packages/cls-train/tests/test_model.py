"""The model and the precision choice.

uv run --package cls-train pytest packages/cls-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
import torch
from cls_train.config import Config
from cls_train.model import WeightsDownloadError, build_model, mixed_precision_for


@pytest.mark.parametrize(
    ("capability", "expected"),
    [(None, "no"), ((7, 5), "fp16"), ((8, 0), "bf16"), ((8, 9), "bf16"), ((9, 0), "bf16")],
)
def test_precision_follows_the_compute_capability(capability, expected):
    """A T4 (7.5) emulates bf16 slowly: fp16 there; Ampere (8.0) and newer: bf16."""
    assert mixed_precision_for(capability) == expected


def test_new_head_has_one_output_per_class():
    model = build_model(Config(pretrained=False), num_classes=7)
    assert model.fc.out_features == 7
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 7)


def test_pretrained_weights_offline_name_the_way_out(offline_wandb):
    """The real torchvision weight download, with the network cut by an unreachable proxy."""
    with pytest.raises(WeightsDownloadError, match="--smoke, or --no-pretrained"):
        build_model(Config(pretrained=True), num_classes=10)
