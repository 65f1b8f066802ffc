"""R3D-18 with a new head, and the choice of mixed precision for the GPU at hand."""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn
from torchvision.models.video import R3D_18_Weights, r3d_18
from wb_common import ModelCard

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import mixed_precision  # noqa: F401
from wb_common.tasks import TASKS
from wb_common.video import UNIFORM

from video_train.config import TASK, Config
from video_train.data import KINETICS_MEAN, KINETICS_STD

ARCHITECTURE = "r3d_18"  # torchvision.models.video.r3d_18: what the viewer rebuilds from the card
WEIGHTS_FILE = "model.pth"  # the state_dict; loads into r3d_18(num_classes=...) with strict=True


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
            "R3D-18 사전 학습 가중치를 내려받지 못했습니다 — "
            f"R3D-18 Kinetics-400 weights could not be downloaded ({type(err).__name__}): "
            "use --smoke, or --no-pretrained to train from scratch."
        ) from None
    # Only the 400-class Kinetics layer is replaced; every other layer keeps its weights.
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def model_card(
    cfg: Config,
    *,
    class_names: list[str],
    metrics: Mapping[str, float] | None = None,
    run_path: str = "",
) -> ModelCard:
    """The video model's card: what the viewer needs to rebuild R3D-18 and sample a clip.

    The one place it is written: train() ships it with the model, the notebook and the viewer's
    tests build theirs here.
    """
    return ModelCard(
        model_type=TASKS[TASK].model_type,
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=list(class_names),
        input_size=[cfg.num_frames, cfg.img_size, cfg.img_size],
        normalization={"mean": list(KINETICS_MEAN), "std": list(KINETICS_STD)},
        metrics={k: round(float(v), 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        extra={
            "clip_duration": cfg.clip_duration,
            # The rule's name in wb_common.video: the viewer samples an upload with the same one.
            "frame_sampling": UNIFORM,
            "preprocessing": (
                "take num_frames RGB frames at the centres of equal slots of the clip_duration "
                "window in the middle of the video (the whole video if shorter), resize each to "
                "H x W (bilinear), scale to [0, 1], normalize, stack as (1, 3, T, H, W)"
            ),
        },
    )
