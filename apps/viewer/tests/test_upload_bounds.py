"""Uploads cost what the viewer can afford to decode (issue 24): memory, shape, video frames.

    uv run --all-packages pytest apps/viewer/tests/test_upload_bounds.py -q

The inputs are made by bench/viewer_memory.py's own generators (the bench measures them all,
with and without each model); here each attack gets one check that failed before the fix.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from viewer.uploads import UploadError, read_image, read_video
from wb_common.video import clip_times

BENCH = Path(__file__).resolve().parents[3] / "bench" / "viewer_memory.py"
BUDGET_MB = 300  # what one upload may add to the app's peak memory (the bench's budget)

# A child that imports the decoder, then decodes one file: the growth of its peak RSS
# (ru_maxrss, KB on Linux) over the peak after the imports is what the upload cost.
CHILD = r"""
import json, resource, sys
from viewer.uploads import UploadError, read_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    size, refused = list(read_image(data).size), None
except UploadError as err:
    size, refused = None, str(err)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"mb": (after - before) / 1024, "size": size, "refused": refused}))
"""


def _bench():
    spec = importlib.util.spec_from_file_location("viewer_memory_for_bounds", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _peak_growth_mb(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("make", ["grey16_png", "rgba_png"])
def test_a_6320_px_square_png_decodes_within_the_budget(tmp_path, make):
    """Before: a 16-bit grey PNG went through a float64 copy of every pixel: this child grew by
    +655 MB (the bench's VmHWM: +1297 MB) and the test failed; the RGBA one of the same pixel
    count, +306 MB in the bench. Now both are converted and reduced one band of rows at a time."""
    path = tmp_path / f"{make}.png"
    getattr(_bench(), make)(path, 6320)
    assert path.stat().st_size < 1_000_000  # small on disk: the cost is all in decoding
    got = _peak_growth_mb(path)
    assert got["refused"] is None and got["size"] == [1280, 1280]
    assert got["mb"] < BUDGET_MB, got


def test_a_16_bit_image_keeps_its_grey_when_reduced():
    """The band-by-band reduction rescales 16-bit pixels like the small-image path does."""
    buffer = io.BytesIO()
    Image.new("I;16", (3000, 2000), 32768).save(buffer, "PNG")
    image = read_image(buffer.getvalue())
    assert image.mode == "RGB" and image.size == (1280, 853)
    assert {abs(v - 128) <= 1 for v in image.getextrema()[0]} == {True}


@pytest.mark.parametrize("size", [(40_000_000, 1), (17_000, 1_000), (4_200, 200)])
def test_images_outside_the_side_and_aspect_bounds_are_refused(tmp_path, size):
    """Before: a 1 x 40,000,000 PNG (39 KB) passed the pixel count and cost +192 MB here (+430 MB
    through the app); now its header is refused before decoding."""
    path = tmp_path / "long.png"
    if size[1] == 1:
        _bench().line_png(path, size[0])
    else:
        Image.new("L", size).save(path, "PNG")
    with pytest.raises(UploadError) as caught:
        read_image(path.read_bytes())
    message = str(caught.value)
    assert message.startswith("이미지 크기") and "aspect ratio" in message and "\n" not in message


def test_a_panorama_within_the_bounds_is_served():
    buffer = io.BytesIO()
    Image.new("RGB", (8000, 1000), (30, 60, 90)).save(buffer, "JPEG")
    assert read_image(buffer.getvalue()).size == (1280, 160)


def test_a_1080p_video_with_one_keyframe_is_refused_before_decoding_to_its_middle(tmp_path):
    """14 s of 1080p at 60 fps, one keyframe: reaching the sampled middle decodes 480 frames of
    1080p (a 120 s one, 1,440: 6 s per upload). Before: decoded, up to MAX_DECODED_FRAMES (4000)
    whatever the resolution. Now refused past MAX_DECODED_PIXELS; the same file sampled in its
    first seconds (few frames to decode) is still served."""
    path = tmp_path / "one-keyframe.mp4"
    _bench().one_keyframe_clip(path, 1920, 1080, 60, 60 * 14)
    data = path.read_bytes()
    assert len(data) < 1_000_000
    with pytest.raises(UploadError) as caught:
        read_video(data, 16, 2.0, (112, 112))
    message = str(caught.value)
    assert "키프레임" in message and "keyframes" in message and "\n" not in message

    def early(duration: float, num_frames: int, clip_duration: float) -> list[float]:
        return clip_times(min(duration, clip_duration), num_frames, clip_duration)

    clip = read_video(data, 16, 2.0, (112, 112), sample_times=early)
    assert clip.frames.shape == (16, 112, 112, 3) and clip.duration == pytest.approx(14, abs=0.1)


def test_the_decode_time_budget_refuses_a_clip_that_outlasts_it(tmp_path, monkeypatch):
    """The wall-clock backstop: a clip whose frames and pixels are within their budgets is still
    refused, in the same sentence, once decoding passes MAX_DECODE_SECONDS (here one frame's
    time: the deadline moves 0.1 s on each clock read after the first)."""
    import viewer.uploads as uploads

    path = tmp_path / "short.mp4"
    _bench().one_keyframe_clip(path, 320, 240, 10, 30)
    data = path.read_bytes()
    assert read_video(data, 8, 2.0, (112, 112)).frames.shape[0] == 8  # within every budget
    ticks = iter(range(10_000))
    monkeypatch.setattr(uploads.time, "monotonic", lambda: next(ticks) * 0.1)
    monkeypatch.setattr(uploads, "MAX_DECODE_SECONDS", 0.15)
    with pytest.raises(UploadError, match="키프레임"):
        read_video(data, 8, 2.0, (112, 112))
