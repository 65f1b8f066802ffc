"""Turn an uploaded file into pixels, or into one clear sentence — never a traceback on stage.

Limits are checked before anything is decoded: the byte size, then the pixel count the header
declares (a 100 KB PNG can declare 50,000 x 50,000 pixels: a "decompression bomb"), then the
full decode (a truncated file fails here). Videos are decoded frame by frame and stop at a frame
budget, so a two-hour upload costs no more than a short clip.
"""

from __future__ import annotations

import io
import sys
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # 8K x 5K; a phone photo is ~12 MP
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_VIDEO_SECONDS = 120.0
MAX_VIDEO_PIXELS = 1920 * 1080  # per frame
MAX_DECODED_FRAMES = 300  # 10 s at 30 fps: plenty for one clip of a few seconds
FRAME_LONG_SIDE = 256  # decoded frames are scaled down to this: models take 112-224 px

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp"]
VIDEO_TYPES = ["mp4", "avi", "mov", "mkv", "webm"]


class UploadError(ValueError):
    """An upload the app cannot use; `str()` is one sentence, Korean first, then English."""

    def __init__(self, korean: str, english: str) -> None:
        super().__init__(f"{korean} — {english}")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _pillow_open(fp: io.BytesIO) -> Image.Image:
    """Pillow's own `Image.open`.

    Importing ultralytics (the detection models) replaces `PIL.Image.open` with a wrapper that,
    on the first file Pillow cannot identify, runs `check_requirements("pi-heif")` — a pip
    install in the middle of a live demo. Uploads go straight to Pillow.
    """
    patches = sys.modules.get("ultralytics.utils.patches")
    return getattr(patches, "_image_open", Image.open)(fp)


def read_image(data: bytes) -> Image.Image:
    """An RGB image from uploaded bytes, or UploadError."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UploadError(
            f"이미지가 너무 큽니다({_mb(len(data))}). {_mb(MAX_IMAGE_BYTES)} 이하로 올려 주세요.",
            f"The image is too large ({_mb(len(data))}); upload one under {_mb(MAX_IMAGE_BYTES)}.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _pillow_open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{width}x{height}")
            image.load()  # decodes every byte: a truncated file fails here, not later
            return image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(
            "이미지 해상도가 너무 큽니다(압축 폭탄 방지). 4000만 화소 이하 이미지를 올려 주세요.",
            "The image declares too many pixels (decompression bomb guard); "
            "upload one under 40 megapixels.",
        ) from None
    except UnidentifiedImageError:
        raise UploadError(
            "이미지 파일이 아닙니다. PNG·JPEG·WebP 이미지를 올려 주세요.",
            "This is not an image file; upload a PNG, JPEG or WebP image.",
        ) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt image data
        raise UploadError(
            "이미지 파일이 손상되었거나 잘려 있습니다. 원본 파일을 다시 올려 주세요.",
            "The image file is damaged or truncated; upload the original file again.",
        ) from None


@dataclass
class Clip:
    frames: np.ndarray  # (N, H, W, 3) uint8, the decoded frames in order, long side <= 256
    fps: float
    duration: float  # seconds covered by `frames`


def read_video(data: bytes, max_seconds: float | None = None) -> Clip:
    """Decoded RGB frames from the first `max_seconds` (default: the whole, bounded) video."""
    import av

    if len(data) > MAX_VIDEO_BYTES:
        raise UploadError(
            f"동영상이 너무 큽니다({_mb(len(data))}). {_mb(MAX_VIDEO_BYTES)} 이하로 올려 주세요.",
            f"The video is too large ({_mb(len(data))}); upload one under {_mb(MAX_VIDEO_BYTES)}.",
        )
    unreadable = UploadError(
        "동영상을 읽을 수 없습니다. MP4(H.264) 등 일반 동영상 파일을 올려 주세요.",
        "The video cannot be decoded; upload a common video file such as MP4 (H.264).",
    )
    frames: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            # FFmpeg also "decodes" a PNG or JPEG as a one-frame stream (format png_pipe, image2)
            if not container.streams.video or container.format.name.endswith(("_pipe", "image2")):
                raise unreadable
            stream = container.streams.video[0]
            if stream.width * stream.height > MAX_VIDEO_PIXELS:
                raise UploadError(
                    f"동영상 해상도({stream.width}x{stream.height})가 너무 큽니다. "
                    "1080p 이하로 올려 주세요.",
                    f"The video resolution ({stream.width}x{stream.height}) is too high; "
                    "upload 1080p or less.",
                )
            seconds = (
                float(stream.duration * stream.time_base)
                if stream.duration is not None and stream.time_base is not None
                else None
            )
            if seconds is not None and seconds > MAX_VIDEO_SECONDS:
                raise UploadError(
                    f"동영상이 너무 깁니다({seconds:.0f}초). {MAX_VIDEO_SECONDS:.0f}초 이하로 "
                    "잘라서 올려 주세요.",
                    f"The video is too long ({seconds:.0f} s); trim it to "
                    f"{MAX_VIDEO_SECONDS:.0f} s or less.",
                )
            fps = float(stream.average_rate or 25)
            limit = MAX_DECODED_FRAMES
            if max_seconds is not None:
                limit = min(limit, max(1, round(max_seconds * fps)))
            scale = min(1.0, FRAME_LONG_SIDE / max(stream.width, stream.height, 1))
            size = {"width": max(2, round(stream.width * scale)),
                    "height": max(2, round(stream.height * scale))}  # fmt: skip
            for frame in container.decode(stream):
                if frame.width * frame.height > MAX_VIDEO_PIXELS:  # a stream can change size
                    raise unreadable
                frames.append(frame.to_ndarray(format="rgb24", **size))
                if len(frames) >= limit:
                    break
    except UploadError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError):
        raise unreadable from None
    if not frames:
        raise unreadable
    return Clip(np.stack(frames), fps, len(frames) / fps)
