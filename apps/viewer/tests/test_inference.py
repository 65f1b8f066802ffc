"""Serving from the card alone: the same preprocessing as training, every model type, bad uploads.

uv run --all-packages pytest apps/viewer/tests/test_inference.py -q -p no:logging
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
import torch
from PIL import Image
from viewer import uploads
from viewer.inference import clip_tensor, image_tensor, predict
from viewer.models import ModelLoadError, load_model
from viewer.samples import (
    SAMPLE_IMAGE,
    SAMPLE_VIDEO,
    load_sample,
    make_image,
    make_video_frames,
    write_video,
)
from viewer.uploads import Clip, UploadError, read_clip, read_image, read_video, video_settings


def test_viewer_preprocesses_like_cls_train_evaluation(artifacts):
    """The model input is cls-train's own evaluation input: serving cannot drift from training."""
    from cls_train.data import prepare_batch

    served = load_model(artifacts["classification"])
    size, std = served.card.input_size[0], served.card.normalization["std"]
    image = Image.open(SAMPLE_IMAGE).convert("RGB")
    pixels = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)[None]
    viewer_input = image_tensor(image, served.card)
    # cls-train resizes float pixels on a GPU (pass floats to take that path here) ...
    float_path = prepare_batch(pixels.float(), size, train=False)
    torch.testing.assert_close(viewer_input, float_path.contiguous(), atol=1e-5, rtol=1e-5)
    # ... and uint8 pixels on a CPU, which rounds to whole levels: within one level of 255
    uint8_path = prepare_batch(pixels, size, train=False)
    one_level = 1 / (255 * min(std))
    assert (viewer_input - uint8_path).abs().max().item() <= one_level + 1e-6

    with torch.inference_mode():
        expected = served.module(float_path).softmax(1)[0]
    prediction = predict(served, image)
    assert len(prediction.top) == 5
    for name, probability in prediction.top:
        index = served.card.class_names.index(name)
        # channels_last vs contiguous convolutions sum in another order: not bit-exact
        assert probability == pytest.approx(expected[index].item(), abs=1e-4)
    assert [p for _, p in prediction.top] == sorted((p for _, p in prediction.top), reverse=True)


def test_normalisation_comes_from_the_card(artifacts):
    card = load_model(artifacts["classification"]).card
    x = image_tensor(Image.new("RGB", (7, 5), (255, 0, 0)), card)
    assert x.shape == (1, 3, *card.input_size)
    mean, std = card.normalization["mean"], card.normalization["std"]
    assert x[0, 0, 0, 0].item() == pytest.approx((1 - mean[0]) / std[0], abs=1e-4)
    assert x[0, 1, 0, 0].item() == pytest.approx((0 - mean[1]) / std[1], abs=1e-4)


def test_segmenter_input_is_seg_train_evaluation_input(artifacts):
    from seg_train.data import prepare_batch

    served = load_model(artifacts["segmentation"])
    size = served.card.input_size[0]
    image = make_image(96)
    pixels = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)[None]
    masks = torch.zeros(1, 96, 96, dtype=torch.uint8)
    expected, _ = prepare_batch(pixels.float(), masks, size, train=False)  # its CUDA (float) path
    torch.testing.assert_close(image_tensor(image, served.card), expected.contiguous())


def test_segmentation_mask_covers_the_image_with_a_legend(artifacts):
    served = load_model(artifacts["segmentation"])
    image = make_image(96).resize((120, 90))
    prediction = predict(served, image)
    assert prediction.image.size == image.size
    assert [name for name, _, _ in prediction.legend] == served.card.class_names
    assert sum(share for _, _, share in prediction.legend) == pytest.approx(1.0)
    assert len({colour for _, colour, _ in prediction.legend}) == len(served.card.class_names)


def test_detection_draws_labelled_boxes(artifacts):
    served = load_model(artifacts["detection"])
    assert served.card.extra["conf"] == 0.001  # like det-train's smoke card: random weights
    image = make_image(96)
    prediction = predict(served, image)
    assert 0 < len(prediction.boxes) <= 50, "an untrained YOLO proposes low-confidence boxes"
    box = prediction.boxes[0]
    assert box["label"] in served.card.class_names and 0.0 <= box["confidence"] <= 1.0
    assert np.asarray(prediction.image).shape == np.asarray(image).shape
    assert not np.array_equal(np.asarray(prediction.image), np.asarray(image))  # boxes drawn


def test_video_frames_are_video_train_evaluation_frames(artifacts):
    """Same frames, same resize, same normalisation as video-train's evaluation input."""
    from video_train.data import prepare_batch
    from video_train.video_io import decode_clip

    served = load_model(artifacts["video-classification"])
    card = served.card
    frames, seconds, (height, width) = video_settings(card)
    clip = load_sample(card)
    assert clip.frames.shape == (frames, height, width, 3)
    # the 1 s window in the middle of the 2 s sample, at the centres of 8 slots
    assert (clip.start, clip.end) == pytest.approx((0.5 + 0.5 / 8, 1.5 - 0.5 / 8))
    training_clip = decode_clip(SAMPLE_VIDEO, frames, seconds, height)  # (T, 3, H, W) uint8
    expected = prepare_batch(training_clip[None], height, train=False)
    torch.testing.assert_close(clip_tensor(clip, card), expected)
    prediction = predict(served, clip)
    assert {name for name, _ in prediction.top} == set(card.class_names)
    with pytest.raises(TypeError):
        predict(served, make_image())


def test_the_cards_frame_sampling_picks_the_frames(artifacts, monkeypatch):
    """read_clip samples by the rule the card's extra.frame_sampling names (wb_common.video):
    a second rule registered there ("the first seconds") moves the window the viewer decodes."""
    from wb_common import video

    card = load_model(artifacts["video-classification"]).card
    assert card.extra["frame_sampling"] == video.UNIFORM
    frames, seconds, _ = video_settings(card)
    data = SAMPLE_VIDEO.read_bytes()
    uniform = read_clip(data, card)  # the middle `seconds` of the 2 s sample
    assert uniform.start == pytest.approx((2.0 - seconds) / 2 + 0.5 * seconds / frames)

    def from_the_start(duration: float, num_frames: int, clip_duration: float) -> list[float]:
        return [(i + 0.5) * clip_duration / num_frames for i in range(num_frames)]

    monkeypatch.setitem(video.FRAME_SAMPLING_RULES, "from the start", from_the_start)
    early = dataclasses.replace(card, extra={**card.extra, "frame_sampling": "from the start"})
    clip = read_clip(data, early)
    assert (clip.start, clip.end) == pytest.approx((0.5 / frames, seconds - 0.5 / frames))
    assert not np.array_equal(clip.frames, uniform.frames)  # other frames of the same video


def test_a_card_with_an_unknown_frame_sampling_is_refused(
    artifacts, tmp_path, run_deploy, make_payload
):
    """Not a model that quietly sees other frames than it was trained on: one sentence, Korean
    then English, when the model loads, so `viewer-deploy` refuses it before it is served."""
    import shutil

    from wb_common import ModelCard

    folder = tmp_path / "random-frames"
    shutil.copytree(artifacts["video-classification"], folder)
    card = ModelCard.read(folder)
    ModelCard.from_dict(
        {**card.to_dict(), "extra": {**card.extra, "frame_sampling": "random"}}
    ).write(folder)
    with pytest.raises(ModelLoadError) as refused:
        load_model(folder)
    message = str(refused.value)
    assert message.startswith("모델 카드의 frame_sampling 'random'") and "\n" not in message
    assert " — unknown frame_sampling 'random'" in message
    code, _, err = run_deploy(make_payload("video-classification"), "--artifact-dir", str(folder))
    assert code == 2 and "unknown frame_sampling 'random'" in err and err.count("\n") == 1


def test_a_card_the_viewer_cannot_serve_says_why(artifacts, tmp_path):
    import shutil

    from wb_common import ModelCard

    folder = tmp_path / "odd"
    shutil.copytree(artifacts["classification"], folder)
    card = ModelCard.read(folder).to_dict()
    ModelCard.from_dict({**card, "architecture": "vit_b_16"}).write(folder)
    with pytest.raises(ModelLoadError, match="'vit_b_16' is not servable"):
        load_model(folder)
    ModelCard.from_dict({**card, "input_size": [8, 32, 32]}).write(folder)
    with pytest.raises(ModelLoadError, match="input_size with 2 numbers"):
        load_model(folder)


# --- uploads ---------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_good_image_upload_decodes_to_rgb():
    image = read_image(_png(make_image(64).convert("L")))
    assert image.mode == "RGB" and image.size == (64, 64)


@pytest.mark.parametrize(
    ("data", "korean"),
    [
        (b"%PDF-1.7 this is a document", "이미지 파일이 아닙니다"),
        (_png(make_image(64))[:400], "손상되었거나 잘려"),
        (_png(Image.new("1", (10_000, 10_000))), "압축 폭탄"),  # 10 kB that declares 100 MP
        (b"\0" * (uploads.MAX_IMAGE_BYTES + 1), "너무 큽니다"),
    ],
)
def test_bad_images_get_one_sentence_in_korean_and_english(data, korean):
    # ultralytics replaces PIL.Image.open with a wrapper that pip-installs pi-heif on the first
    # unknown file; the app has it imported whenever a detector is served.
    import ultralytics  # noqa: F401

    with pytest.raises(UploadError) as info:
        read_image(data)
    message = str(info.value)
    assert korean in message and " — " in message and "\n" not in message


def _video(tmp_path, frames: np.ndarray, fps: int = 24) -> bytes:
    path = tmp_path / "clip.mp4"
    write_video(frames, path, fps=fps)
    return path.read_bytes()


def test_video_upload_limits(tmp_path, monkeypatch):
    def read(data: bytes) -> Clip:
        return read_video(data, 4, 1.0, (16, 16))

    clip = read(_video(tmp_path, make_video_frames(32, 12)))
    assert isinstance(clip, Clip) and clip.frames.shape == (4, 16, 16, 3)
    with pytest.raises(UploadError, match="지원하는 동영상 형식이 아닙니다"):
        read(_png(make_image()))  # an image is not a video
    with pytest.raises(UploadError, match="동영상을 읽을 수 없습니다"):
        read(_video(tmp_path, make_video_frames(32, 12))[:300])  # truncated
    with pytest.raises(UploadError, match="동영상이 너무 큽니다"):
        read(b"\0" * (uploads.MAX_VIDEO_BYTES + 1))
    long_video = _video(tmp_path, make_video_frames(16, 10), fps=1)  # 10 s
    monkeypatch.setattr(uploads, "MAX_VIDEO_SECONDS", 5.0)
    with pytest.raises(UploadError, match="동영상이 너무 깁니다"):
        read(long_video)
    monkeypatch.setattr(uploads, "MAX_VIDEO_PIXELS", 16 * 16 - 1)
    with pytest.raises(UploadError, match="해상도"):
        read(long_video)
