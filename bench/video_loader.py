"""Clips/s of the cached video loader vs decoding each clip on the fly, in one process.

    uv run --all-packages python bench/video_loader.py     # 64 generated 112 px mp4s
    uv run --all-packages python bench/video_loader.py --clips 128 --epochs 3

Both loaders yield the same uint8 batches `(B, T, 3, H, W)`. "on the fly" is a Dataset that
opens and decodes one file per item with PyAV (the usual torchvision-style pipeline, here with
`num_workers=0` and with 2 workers); "cached" is `video_train`'s loader: every clip decoded once
into one tensor, batches sliced out of it. The cache's one-time decode is reported separately:
it is paid once per (num_frames, clip_duration, size), then reused across epochs, runs and sweep
trials. Timings on a shared machine are noisy: compare the ratio, not the absolute numbers.

Result (2026-11-30 06:09 UTC, the first command: 64 clips of 320x240, 25 fps, 4 s H.264 ->
16 frames over 2 s at 112 px, batch 8, 2 epochs; torch 2.15.0 on 2 vCPUs shared with other
agents' tests, load average 5.2-5.3): cached 890 clips/s vs on the fly 12.2 clips/s (0
workers, 73x) and 30.0 clips/s (2 workers, 30x); the one-time cache build decoded 10.0 clips/s.
An earlier run (packages/video-train/README.md) gave 548 vs 25 / 44 clips/s (22x / 12x): the
decoding side follows the load, so quote the ratio with its load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from video_train.data import VideoFiles, list_videos, load_video_folder
from video_train.video_io import write_video


def make_videos(root: Path, clips: int, seconds: float, fps: int, size: tuple[int, int]) -> None:
    """UCF-101-like files: 320x240, 25 fps, a few seconds of a panning blocky texture."""
    rng = np.random.default_rng(0)
    frames = int(seconds * fps)
    width, height = size
    for i in range(clips):
        blocks = rng.integers(0, 256, size=(height // 8, width // 4, 3), dtype=np.uint8)
        texture = blocks.repeat(8, axis=0).repeat(8, axis=1)  # (H, 2W, 3): room to pan
        video = np.stack([texture[:, t * 2 : t * 2 + width] for t in range(frames)])
        write_video(root / f"class{i % 2}" / f"{i:04d}.mp4", video, fps)


def clips_per_second(loader: DataLoader, epochs: int) -> float:
    seen, start = 0, time.perf_counter()
    for _ in range(epochs):
        for clips, _labels in loader:
            seen += len(clips)
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--num-frames", type=int, default=16)
    parser.add_argument("--clip-duration", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    sample = (args.num_frames, args.clip_duration, args.size)
    torch.set_num_threads(2)  # Colab's two vCPUs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_videos(root, args.clips, seconds=4.0, fps=25, size=(320, 240))
        paths, labels, _ = list_videos(root)

        start = time.perf_counter()
        cached = load_video_folder(root, *sample)
        decode_once = len(cached) / (time.perf_counter() - start)

        def loader(dataset, **kw) -> DataLoader:
            return DataLoader(dataset, batch_size=args.batch_size, shuffle=True, **kw)

        on_the_fly = VideoFiles(paths, labels, *sample)
        results = {
            "on the fly, 0 workers": clips_per_second(loader(on_the_fly), args.epochs),
            "on the fly, 2 workers": clips_per_second(
                loader(on_the_fly, num_workers=2), args.epochs
            ),
            "cached": clips_per_second(loader(cached, collate_fn=lambda b: b), args.epochs),
        }

    print(
        f"{args.clips} clips (320x240, 25 fps, 4 s, H.264) -> {args.num_frames} frames over "
        f"{args.clip_duration:g} s at {args.size} px, batch {args.batch_size}, {args.epochs} epochs"
    )
    print(f"  cache build (decode once): {decode_once:9.1f} clips/s")
    for name, rate in results.items():
        print(f"  {name:<25}  {rate:9.1f} clips/s")
    baseline = results["on the fly, 0 workers"]
    print(f"  cached / on the fly (0 workers): {results['cached'] / baseline:.0f}x")
    workers = results["on the fly, 2 workers"]
    print(f"  cached / on the fly (2 workers): {results['cached'] / workers:.0f}x")


if __name__ == "__main__":
    main()
