"""Reading and writing video with PyAV, the one decoder this package uses.

torchvision 0.29 removed `read_video`/`VideoReader`, and torchcodec needs a system FFmpeg that
Colab images and air-gapped boxes may lack. PyAV ships its own FFmpeg in the wheel.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import torch
from wb_common.video import clip_times

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")


class VideoDecodeError(RuntimeError):
    """A file that is not a readable video: empty, truncated, or without a video stream."""


def _duration(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0  # unknown: clip_times then samples from the start


def decode_clip(path: str | Path, num_frames: int, clip_duration: float, size: int) -> torch.Tensor:
    """`num_frames` RGB frames of `path`, resized to `size` x `size`: uint8 `(T, 3, size, size)`.

    Seeks to the keyframe before the window and decodes only up to its last frame; FFmpeg's
    scaler does the resize, so no full-size frame ever becomes a numpy array.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError("no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frame- and slice-threading inside FFmpeg
            times = clip_times(_duration(container, stream), num_frames, clip_duration)
            if times[0] > 1.0 and stream.time_base is not None:
                container.seek(int(times[0] / stream.time_base), stream=stream)
            fps = float(stream.average_rate or 25)
            picked: list[av.VideoFrame] = []
            current = None
            for index, frame in enumerate(container.decode(stream)):
                t = frame.time if frame.time is not None else index / fps
                # Each target time takes the last frame shown at or before it.
                while len(picked) < num_frames and t > times[len(picked)]:
                    picked.append(frame if current is None else current)
                if len(picked) == num_frames:
                    break
                current = frame
            if current is None and not picked:
                raise VideoDecodeError("no decodable frames")
            picked += [current] * (num_frames - len(picked))  # window runs past the last frame
            rgb = {
                id(f): f.reformat(width=size, height=size, format="rgb24").to_ndarray()
                for f in picked
            }
            frames = np.stack([rgb[id(f)] for f in picked])  # (T, H, W, 3)
    except (av.FFmpegError, OSError, ValueError) as err:  # InvalidDataError is a ValueError too
        raise VideoDecodeError(f"{type(err).__name__}: {err}") from None
    return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()


def write_video(path: str | Path, frames: np.ndarray, fps: int) -> Path:
    """Encode uint8 frames `(T, H, W, 3)` as H.264 mp4 (H and W even, as yuv420p requires)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"  # what browsers (and the W&B UI) play
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        # Flush: the encoder holds back its last frames until it is told the stream has ended.
        container.mux(stream.encode())
    return path
