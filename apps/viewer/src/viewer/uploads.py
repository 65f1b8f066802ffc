"""Turn an uploaded file into pixels, or into one clear sentence — never a traceback on stage.

Limits are checked before anything is decoded: the byte size, then the pixel count, each side
and the aspect ratio the header declares (a 100 KB PNG can declare 50,000 x 50,000 pixels, a
"decompression bomb", or 1 x 40,000,000), then the full decode (a truncated file fails here).
Videos are checked for size, resolution and length from their headers, then decoded only up to
the few seconds the model looks at, and refused when reaching them costs more decoded pixels
(frames x resolution: a 1080p video with a single keyframe) or time than one upload may spend.
What each costs in memory: bench/viewer_memory.py.

Only the formats the viewer serves are opened, judged by their bytes, not their name: images
JPEG, PNG, WebP, BMP, GIF (Pillow would open any of its ~40 formats: a float TIFF renamed .png);
videos in MP4/MOV, WebM/Matroska or AVI containers (FFmpeg would also take an `ffconcat` playlist
named x.mp4 and read the files it names on the server). Images are decoded at the size served:
a JPEG's decoder downscales while decoding (`Image.draft`), anything larger is reduced to
MAX_SERVED_SIDE one band of rows at a time (no full-size converted copy); EXIF orientation is
applied (a portrait phone photo stays upright), and 16-bit and float pixels are rescaled to
0-255 instead of saturating.
"""

from __future__ import annotations

import io
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from wb_common.video import DEFAULT_CLIP_SECONDS, clip_times, sampling_rule

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # 8K x 5K; a phone photo is ~12 MP
MAX_IMAGE_SIDE = 16_384  # px: a 40 MP image can still be 1 x 40,000,000 (+430 MB to decode)
MAX_ASPECT_RATIO = 20  # a phone panorama is ~4-8:1
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_VIDEO_SECONDS = 120.0
MAX_VIDEO_PIXELS = 1920 * 1080  # per frame
MAX_DECODED_FRAMES = 4000  # frames decoded to reach the clip window (after a seek: a few dozen)
# Decoding cost grows with resolution: 400 frames of 1080p is the most one upload may decode
# (FFmpeg's default keyframe interval, 250 frames, plus a 2 s window at 60 fps is 370; ~1 s of
# decoding on 2 vCPUs). A 1080p 120 s video with a single keyframe would otherwise decode
# 1,440 frames to reach its middle (6 s per upload).
MAX_DECODED_PIXELS = 400 * 1920 * 1080
MAX_DECODE_SECONDS = 10.0  # wall clock, a backstop for whatever the frame budget misses

MAX_SERVED_SIDE = 1280  # px: above every model input (<= 640) and enough to look at on screen

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]
VIDEO_TYPES = ["mp4", "avi", "mov", "mkv", "webm"]
IMAGE_MIME_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif"]
VIDEO_MIME_TYPES = ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska",
                    "video/x-msvideo"]  # fmt: skip
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")  # Pillow's names of what IMAGE_TYPES hold
# FFmpeg demuxer to force for each container signature, and the name it reports once open.
VIDEO_DEMUXERS = {"mov": "mov,mp4,m4a,3gp,3g2,mj2", "matroska": "matroska,webm", "avi": "avi"}
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


class UploadError(ValueError):
    """An upload the app cannot use; `str()` is one sentence, Korean first, then English."""

    def __init__(self, korean: str, english: str) -> None:
        super().__init__(f"{korean} — {english}")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _pillow_open(fp: io.BytesIO) -> Image.Image:
    """Pillow's own `Image.open`, trying only the formats the viewer serves.

    Importing ultralytics (the detection models) replaces `PIL.Image.open` with a wrapper that,
    on the first file Pillow cannot identify, runs `check_requirements("pi-heif")` — a pip
    install in the middle of a live demo. Uploads go straight to Pillow.
    """
    patches = sys.modules.get("ultralytics.utils.patches")
    return getattr(patches, "_image_open", Image.open)(fp, formats=IMAGE_FORMATS)


_WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # 16-bit and 32-bit pixels


def _value_range(image: Image.Image) -> tuple[float, float]:
    """The (low, high) a 16-bit or float image is rescaled from to 0-255.

    16-bit integers use the full 16-bit range, float images in [0, 1] that range, anything
    else its own (`getextrema` walks the pixels in C: no copy of the image).
    """
    low, high = 0.0, 65535.0
    lowest, highest = (float(v) for v in image.getextrema())
    if image.mode == "F" and lowest >= 0.0 and highest <= 1.0:
        high = 1.0
    elif image.mode in ("I", "F") and (lowest < 0 or highest > high):
        low, high = lowest, highest
    return low, high


def to_rgb(image: Image.Image, value_range: tuple[float, float] | None = None) -> Image.Image:
    """8-bit RGB; 16-bit and float pixels are rescaled, not clipped (`convert` saturates them).

    `value_range` is the whole image's (see _value_range) when `image` is one band of it.
    """
    if image.mode in _WIDE_MODES:
        low, high = value_range or _value_range(image)
        pixels = np.asarray(image, dtype=np.float32)  # one band or a served-size image: small
        scaled = (pixels - np.float32(low)) * np.float32(255.0 / max(high - low, 1e-12))
        image = Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")
    return image if image.mode == "RGB" else image.convert("RGB")  # no copy when already RGB


_BAND_BYTES = 8 * 1024 * 1024  # decoded bytes converted at a time when reducing a large image


def _reduced_rgb(image: Image.Image, max_side: int) -> Image.Image:
    """8-bit RGB, box-reduced by a whole factor to between `max_side` and 2 x `max_side`.

    Converting a full-size image first (`convert("RGB")`, Pillow's premultiplied alpha for
    RGBA, a float copy of 16-bit pixels) costs one or more copies of the whole image: a 6320 px
    square 16-bit PNG took +1.26 GB through float64. Here the image is converted and reduced one
    band of rows at a time, so only the decoded image and a band are ever held at full size.
    """
    width, height = image.size
    factor = max(width, height) // max_side
    if factor < 2:
        return to_rgb(image)
    value_range = _value_range(image) if image.mode in _WIDE_MODES else None
    row_bytes = width * max(len(image.getbands()), 1) * (4 if image.mode in _WIDE_MODES else 1)
    rows = max(1, _BAND_BYTES // row_bytes // factor) * factor  # a whole number of factors
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(top + rows, height)))
        out.paste(to_rgb(band, value_range).reduce(factor), (0, top // factor))
    return out


def read_image(data: bytes, max_side: int = MAX_SERVED_SIDE) -> Image.Image:
    """An upright RGB image at most `max_side` px wide and high, or UploadError."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UploadError(
            f"이미지가 너무 큽니다({_mb(len(data))}). {_mb(MAX_IMAGE_BYTES)} 이하로 올려 주세요.",
            f"The image is too large ({_mb(len(data))}); upload one under {_mb(MAX_IMAGE_BYTES)}.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _pillow_open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:  # `formats=` already holds Pillow to these
                raise UnidentifiedImageError(image.format)
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{width}x{height}")
            if max(width, height) > MAX_IMAGE_SIDE or max(width, height) > MAX_ASPECT_RATIO * max(
                min(width, height), 1
            ):
                raise UploadError(
                    f"이미지 크기({width}x{height})가 허용 범위를 벗어납니다. 한 변이 "
                    f"{MAX_IMAGE_SIDE}px 이하이고 가로세로 비율이 {MAX_ASPECT_RATIO}:1 이하인 "
                    "이미지를 올려 주세요.",
                    f"The image is {width}x{height}; upload one with no side over "
                    f"{MAX_IMAGE_SIDE} px and an aspect ratio of at most {MAX_ASPECT_RATIO}:1.",
                )
            if image.format == "JPEG":  # the decoder scales by 1/2, 1/4, 1/8 while decoding
                image.draft("RGB", (max_side, max_side))
            image.load()  # decodes every byte: a truncated file fails here, not later
            # In place: without an EXIF orientation nothing is copied (a 40 MP PNG has no draft
            # mode, so every full-size copy costs ~120 MB of peak memory; bench/viewer_memory.py).
            ImageOps.exif_transpose(image, in_place=True)
            image = _reduced_rgb(image, max_side)
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            return image
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(
            "이미지 해상도가 너무 큽니다(압축 폭탄 방지). 4000만 화소 이하 이미지를 올려 주세요.",
            "The image declares too many pixels (decompression bomb guard); "
            "upload one under 40 megapixels.",
        ) from None
    except UnidentifiedImageError:
        raise UploadError(
            "지원하는 이미지 파일이 아닙니다. JPEG·PNG·WebP·BMP·GIF 이미지를 올려 주세요.",
            "This is not a supported image; upload a JPEG, PNG, WebP, BMP or GIF image.",
        ) from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt image data
        raise UploadError(
            "이미지 파일이 손상되었거나 잘려 있습니다. 원본 파일을 다시 올려 주세요.",
            "The image file is damaged or truncated; upload the original file again.",
        ) from None


def container_format(data: bytes) -> str | None:
    """The FFmpeg demuxer for a video's own signature bytes, or None when it is none we serve."""
    if data[4:8] in _MP4_BOXES:
        return "mov"
    if data[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska and WebM
        return "matroska"
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi"
    return None


def _scaled(frame, last: list, size: tuple[int, int]) -> np.ndarray:
    """The frame at the model's (H, W), scaled by FFmpeg; full-size frames are not kept.

    `last` holds [frame, array] of the previous pick: a frame picked for several consecutive
    sampling times is scaled once (holding the frame keeps its id from being reused).
    """
    if not last or last[0] is not frame:
        height, width = size
        last[:] = [frame, frame.reformat(width=width, height=height, format="rgb24").to_ndarray()]
    return last[1]


@dataclass
class Clip:
    frames: np.ndarray  # (T, H, W, 3) uint8: the model's T frames, already at its H x W
    duration: float  # seconds, the whole video
    start: float  # the first and last sampling times, seconds
    end: float


def video_settings(card) -> tuple[int, float, tuple[int, int]]:
    """(num_frames, clip_duration, (H, W)) for `read_video`, from a video model's card."""
    length, height, width = card.input_size
    return length, float(card.extra.get("clip_duration", DEFAULT_CLIP_SECONDS)), (height, width)


def read_clip(data: bytes, card) -> Clip:
    """The frames a video model sees in `data`, sampled by the rule its card names.

    `extra["frame_sampling"]` is looked up in wb_common.video; `load_model` has already refused
    a card naming a rule this viewer does not know (ValueError here for a caller that did not).
    """
    return read_video(data, *video_settings(card), sample_times=sampling_rule(card.extra))


def _seconds(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return container.duration / av.time_base
    return 0.0  # unknown: clip_times then samples from the start


def read_video(
    data: bytes,
    num_frames: int,
    clip_duration: float,
    size: tuple[int, int],
    sample_times: Callable[[float, int, float], list[float]] = clip_times,
) -> Clip:
    """The `num_frames` frames a video model sees, decoded and resized like its training data.

    `sample_times(duration, num_frames, clip_duration)` gives the sampling times (the card's rule,
    see `read_clip`); each takes the last frame shown at or before it. FFmpeg's scaler resizes the
    picked frames to `size` (H, W), as video-train's `decode_clip` does.
    """
    import av

    demuxer = _video_container(data)
    unreadable = UploadError(
        "동영상을 읽을 수 없습니다. MP4(H.264) 등 일반 동영상 파일을 올려 주세요.",
        "The video cannot be decoded; upload a common video file such as MP4 (H.264).",
    )
    try:
        # The demuxer is forced: the bytes never reach FFmpeg's probing (concat, hls, image2...).
        with av.open(io.BytesIO(data), mode="r", format=demuxer) as container:
            stream = _video_stream(container, demuxer, unreadable)
            duration = _seconds(container, stream)
            _check_duration(duration)
            times = sample_times(duration, num_frames, clip_duration)
            if times[0] > 1.0 and stream.time_base is not None:
                container.seek(int(times[0] / stream.time_base), stream=stream)
            frames = _pick_frames(container, stream, times, num_frames, size, unreadable)
    except UploadError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError):
        raise unreadable from None
    return Clip(frames, duration, times[0], times[-1])


def _video_container(data: bytes) -> str:
    """The demuxer for `data`, known from its first bytes; too large or unknown is refused."""
    if len(data) > MAX_VIDEO_BYTES:
        raise UploadError(
            f"동영상이 너무 큽니다({_mb(len(data))}). {_mb(MAX_VIDEO_BYTES)} 이하로 올려 주세요.",
            f"The video is too large ({_mb(len(data))}); upload one under {_mb(MAX_VIDEO_BYTES)}.",
        )
    demuxer = container_format(data)
    if demuxer is None:
        raise UploadError(
            "지원하는 동영상 형식이 아닙니다. MP4·MOV·WebM·MKV·AVI 파일을 올려 주세요.",
            "This is not a supported video container; upload MP4, MOV, WebM, MKV or AVI.",
        )
    return demuxer


def _video_stream(container, demuxer: str, unreadable: UploadError):
    """The container's first video stream, if the demuxer agrees and its frames are not huge."""
    if container.format.name not in (demuxer, VIDEO_DEMUXERS[demuxer]):
        raise unreadable
    if not container.streams.video:
        raise unreadable
    stream = container.streams.video[0]
    if stream.width * stream.height > MAX_VIDEO_PIXELS:
        raise UploadError(
            f"동영상 해상도({stream.width}x{stream.height})가 너무 큽니다. "
            "1080p 이하로 올려 주세요.",
            f"The video resolution ({stream.width}x{stream.height}) is too high; "
            "upload 1080p or less.",
        )
    return stream


def _check_duration(duration: float) -> None:
    if duration > MAX_VIDEO_SECONDS:
        raise UploadError(
            f"동영상이 너무 깁니다({duration:.0f}초). {MAX_VIDEO_SECONDS:.0f}초 이하로 "
            "잘라서 올려 주세요.",
            f"The video is too long ({duration:.0f} s); trim it to "
            f"{MAX_VIDEO_SECONDS:.0f} s or less.",
        )


def _pick_frames(
    container,
    stream,
    times: list[float],
    num_frames: int,
    size: tuple[int, int],
    unreadable: UploadError,
) -> np.ndarray:
    """For each sampling time, the last frame shown at or before it, scaled to `size`.

    Decoding stops at the last time, and sooner when the frames, pixels or seconds it takes
    pass the bounds (a stream with too few keyframes).
    """
    picked: list = []
    rgb: list = []  # the last picked frame and its scaled pixels (see _scaled)
    fps = float(stream.average_rate or 25)
    current = None
    decoded_pixels, deadline = 0, time.monotonic() + MAX_DECODE_SECONDS
    for index, frame in enumerate(container.decode(stream)):
        if frame.width * frame.height > MAX_VIDEO_PIXELS:
            raise unreadable  # a stream that changes size mid-way
        shown_at = frame.time if frame.time is not None else index / fps
        decoded_pixels += frame.width * frame.height
        # After a seek the decoder starts at the keyframe before the window: from the
        # first frame's time the frames still to decode are known (at the declared rate;
        # a stream that lies about its rate meets the running count instead).
        ahead = (times[-1] - shown_at) * fps * frame.width * frame.height if index == 0 else 0
        _check_decode_budget(index, max(decoded_pixels, ahead), deadline)
        while len(picked) < num_frames and shown_at > times[len(picked)]:
            picked.append(_scaled(frame if current is None else current, rgb, size))
        if len(picked) == num_frames:
            break
        current = frame
    if current is None and not picked:
        raise unreadable
    # the window runs past the end: repeat the last frame
    picked += [_scaled(current, rgb, size)] * (num_frames - len(picked))
    return np.stack(picked)


def _check_decode_budget(index: int, pixels: float, deadline: float) -> None:
    if index >= MAX_DECODED_FRAMES or pixels > MAX_DECODED_PIXELS or time.monotonic() > deadline:
        raise UploadError(
            "이 동영상은 분석할 구간까지 디코딩할 프레임이 너무 많습니다(키프레임이 "
            "드묾). 키프레임 간격을 줄여 다시 인코딩하거나 짧게 잘라서 올려 주세요.",
            "Reaching the part of this video the model looks at needs too many "
            "decoded frames (too few keyframes); re-encode it with more keyframes "
            "or trim it.",
        )
