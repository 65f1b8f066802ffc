"""The model, and the Ultralytics environment around it: no weights download, no font download.

uv run --package det-train pytest packages/det-train/tests/test_model.py
"""

from __future__ import annotations

import pytest
from det_train.config import Config, smoke_config
from det_train.model import WeightsDownloadError, build_model
from det_train.yolo_env import ensure_font


def test_smoke_model_is_yolov8n_without_weights():
    model = build_model(smoke_config(Config()))
    assert model.task == "detect"
    parameters = sum(p.numel() for p in model.model.parameters())
    assert 3_000_000 < parameters < 3_300_000  # YOLOv8n: 3.2M with the 80-class COCO head


def test_pretrained_weights_offline_fail_with_one_sentence(offline_wandb):
    with pytest.raises(WeightsDownloadError, match="use --smoke, or --no-pretrained"):
        build_model(Config(weights="yolov8n.pt"))


def test_font_is_local_so_no_plot_waits_for_github(offline_wandb):
    from ultralytics.utils import USER_CONFIG_DIR
    from ultralytics.utils.checks import check_font

    assert (USER_CONFIG_DIR / "Arial.ttf").is_file()  # already placed by `import det_train`
    font = ensure_font()
    assert font.name == "Arial.ttf" and font.stat().st_size > 100_000
    assert check_font("Arial.ttf") == font
