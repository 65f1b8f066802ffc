"""R3D-18 with the new head, as the viewer will rebuild it from the model card.

uv run --package video-train pytest packages/video-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
import torch
from torchvision.models.video import r3d_18
from video_train.config import Config, smoke_config
from video_train.model import WeightsDownloadError, build_model


def test_state_dict_loads_strictly_into_plain_r3d_18():
    model = build_model(smoke_config(Config()), num_classes=4)
    viewer = r3d_18(weights=None, num_classes=4)
    viewer.load_state_dict(model.state_dict(), strict=True)
    clip = torch.randn(1, 3, 8, 32, 32)  # (B, C, T, H, W)
    model.eval(), viewer.eval()
    with torch.no_grad():
        assert torch.equal(model(clip), viewer(clip))


def test_pretrained_weights_offline_fail_with_one_sentence(offline_wandb):
    with pytest.raises(WeightsDownloadError, match="--smoke"):
        build_model(Config(pretrained=True), num_classes=10)
