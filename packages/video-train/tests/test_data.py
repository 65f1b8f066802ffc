"""The PyAV loader: frames come back where they were written, bad files are skipped by name.

uv run --package video-train pytest packages/video-train/tests/test_data.py
"""

from __future__ import annotations

import itertools

import av
import numpy as np
import pytest
import torch
from video_train.config import Config, smoke_config
from video_train.data import (
    DataError,
    build_datasets,
    download_ucf101_subset,
    load_video_folder,
    prepare_batch,
    synthetic_frames,
)
from video_train.video_io import decode_clip, write_video
from wb_common.video import clip_times


def _numbered_frames(count: int, size: int = 32, step: int = 20) -> np.ndarray:
    """Flat frames whose brightness encodes their index (20, 40, ...): survives compression."""
    return np.stack(
        [np.full((size, size, 3), step * (i + 1), dtype=np.uint8) for i in range(count)]
    )


def _frame_numbers(clip: torch.Tensor) -> list[int]:
    return [round(v / 20) - 1 for v in clip.float().mean(dim=(1, 2, 3)).tolist()]


def test_every_written_frame_decodes_back_including_the_last(tmp_path):
    """Without flushing the encoder the last frames would be missing (docs/facts.md, video)."""
    path = write_video(tmp_path / "count.mp4", _numbered_frames(8), fps=8)
    clip = decode_clip(path, num_frames=8, clip_duration=1.0, size=32)
    assert clip.shape == (8, 3, 32, 32) and clip.dtype == torch.uint8
    assert _frame_numbers(clip) == list(range(8))


def test_frames_are_sampled_evenly_from_the_middle_window(tmp_path):
    path = write_video(tmp_path / "long.mp4", _numbered_frames(12), fps=4)  # 3 s
    # 4 frames over the middle 2 s (0.5-2.5 s): slot centres 0.75, 1.25, 1.75, 2.25 s.
    assert clip_times(3.0, 4, 2.0) == [0.75, 1.25, 1.75, 2.25]
    clip = decode_clip(path, num_frames=4, clip_duration=2.0, size=16)
    assert _frame_numbers(clip) == [3, 5, 7, 9]  # frame i is shown from i/4 s
    assert clip.shape == (4, 3, 16, 16)  # resized by FFmpeg's scaler


@pytest.mark.parametrize("suffix, codec", [(".avi", "mpeg4"), (".mp4", "libx264")])
def test_seeking_into_a_long_video_gives_the_frames_a_full_decode_gives(tmp_path, suffix, codec):
    """UCF-101 ships MPEG-4 part 2 in AVI; a window at 2-4 s makes the loader seek first."""
    path = tmp_path / f"long{suffix}"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width = stream.height = 32
        stream.pix_fmt, stream.gop_size = "yuv420p", 12  # keyframes every 1.2 s
        for frame in _numbered_frames(60, step=4):  # 6 s
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    with av.open(str(path)) as container:
        every = [
            f.reformat(width=16, height=16, format="rgb24").to_ndarray()
            for f in container.decode(video=0)
        ]
    # Slot centres 2.25, 2.75, 3.25, 3.75 s at 10 fps: frames 22, 27, 32, 37.
    expected = torch.from_numpy(np.stack([every[i] for i in (22, 27, 32, 37)])).permute(0, 3, 1, 2)
    assert torch.equal(decode_clip(path, num_frames=4, clip_duration=2.0, size=16), expected)


def test_a_video_shorter_than_the_window_is_sampled_over_its_length(tmp_path):
    path = write_video(tmp_path / "short.mp4", _numbered_frames(4), fps=8)  # 0.5 s
    clip = decode_clip(path, num_frames=8, clip_duration=2.0, size=32)
    assert _frame_numbers(clip) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_corrupt_and_empty_files_are_skipped_with_a_warning_naming_them(tmp_path):
    root = tmp_path / "videos"
    for label in ("left", "right"):
        for i in range(2):
            write_video(root / label / f"{i}.mp4", _numbered_frames(4), fps=4)
    empty = root / "left" / "empty.mp4"
    empty.touch()
    corrupt = root / "right" / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)
    with pytest.warns(UserWarning) as caught:
        data = load_video_folder(root, num_frames=4, clip_duration=1.0, size=16)
    messages = [str(w.message) for w in caught]
    assert any(str(empty) in m for m in messages)
    assert any(str(corrupt) in m for m in messages)
    assert len(data) == 4 and data.labels.tolist() == [0, 0, 1, 1]
    assert data.class_names == ["left", "right"]


def test_decoded_clips_are_cached_per_setting(tmp_path):
    root, cache = tmp_path / "videos", tmp_path / "cache"
    for label in ("a", "b"):
        write_video(root / label / "0.mp4", _numbered_frames(4), fps=4)
    first = load_video_folder(root, 4, 1.0, 16, cache)
    (cached,) = cache.glob("*.pt")
    assert "4f-1s-16px" in cached.name
    for video in root.rglob("*.mp4"):
        video.write_bytes(video.read_bytes())  # same files: the cache still applies
    assert torch.equal(load_video_folder(root, 4, 1.0, 16, cache).clips, first.clips)
    load_video_folder(root, 2, 1.0, 16, cache)  # another setting: another cache file
    assert len(list(cache.glob("*.pt"))) == 2


def test_synthetic_twin_moves_in_the_direction_of_its_class():
    frames = synthetic_frames((1, 0), np.random.default_rng(0))  # "right"
    bright = frames.mean(axis=3) >= 150
    xs = [np.nonzero(f)[1].mean() for f in bright]
    assert all(b > a for a, b in itertools.pairwise(xs))


def test_synthetic_datasets_are_decoded_from_mp4_files(tmp_path):
    cfg = smoke_config(Config(data_dir=tmp_path))
    train, val = build_datasets(cfg)
    assert len(list((tmp_path / "synthetic-motion").rglob("*.mp4"))) == len(train) + len(val)
    assert train.clips.shape[1:] == (cfg.num_frames, 3, cfg.img_size, cfg.img_size)
    assert train.class_names == ["down", "left", "right", "up"]
    assert torch.bincount(train.labels).tolist() == [len(train) // 4] * 4


def test_offline_download_fails_with_one_sentence_naming_smoke(offline_wandb, tmp_path):
    with pytest.raises(DataError, match="--smoke") as err:
        download_ucf101_subset(tmp_path / "data")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "data" / "UCF101_subset").exists()


def test_a_broken_archive_is_removed_so_the_next_run_downloads_again(tmp_path):
    archive = tmp_path / "UCF101_subset.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + b"cut off mid-download" * 50)
    with pytest.raises(DataError, match="--smoke"):
        download_ucf101_subset(tmp_path)
    assert not archive.exists()


def test_prepare_batch_keeps_frames_together_and_makes_the_model_layout():
    clips = torch.randint(0, 256, (2, 8, 3, 40, 40), dtype=torch.uint8)
    train = prepare_batch(clips, 32, train=True, hflip=True)
    assert train.shape == (2, 3, 8, 32, 32) and train.dtype == torch.float32
    static = clips[:, :1].expand(-1, 8, -1, -1, -1)  # the same frame 8 times
    out = prepare_batch(static, 32, train=True)
    assert torch.allclose(out[:, :, :1].expand_as(out), out)  # one crop per clip, not per frame
    assert prepare_batch(clips, 40, train=False).shape == (2, 3, 8, 40, 40)
