"""Segmentation input pipeline throughput at 128 and 256 px: ours vs per-sample PIL transforms.

    uv run --all-packages python bench/seg_input_pipeline.py [--images 512]

Baseline: what most Oxford-IIIT Pet segmentation notebooks do — a dataset of decoded PIL photos
and PIL trimaps at source resolution (here 384x384, about an Oxford photo), a per-sample joint
`RandomResizedCrop(size, scale=(0.75, 1))` + flip of image and mask (torchvision v2 with
`tv_tensors.Mask`), ToTensor, Normalize, DataLoader with 2 workers (Colab has 2 vCPUs). JPEG
decoding is *not* counted for the baseline, which flatters it.
Ours (seg_train.data): decoded and resized once to uint8 tensors in memory (that one-time cost is
printed separately), whole batches by one gather, `prepare_batch` for crop/flip/normalise of image
and mask together. Two numbers for ours:
  - feed: what the CPU does per batch when a GPU is present (gather only) — the Colab case;
  - full on CPU: the same plus `prepare_batch` executed on the CPU — the no-GPU worst case.
All in one process, printed as ratios against the baseline at the same size.

Result (2026-11-30 05:36 UTC, the defaults: 512 images, batch 16, 384 px source; torch 2.15.0
with 2 threads on 2 vCPUs shared with four other agents' test runs, load average 6.6 -> 8.3):
at 128 px the PIL baseline 77 images/s, ours CPU feed 415 (5.4x), ours whole pipeline on the
CPU 95 (1.2x, + a one-time resize of 5.6 s); at 256 px 56, 395 (7.0x), 61 (1.1x, + 10.3 s).
The ratios fall inside earlier runs' ranges (packages/seg-train/README.md: feed 3.9-17x at
128 px, 5.1-7.4x at 256 px; whole pipeline 0.8-1.2x); absolute numbers follow the load.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from PIL import Image
from seg_train.config import Config
from seg_train.data import (
    CLASS_MAPPINGS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    SegTensors,
    _whole_batch,
    prepare_batch,
    synthetic_pets,
    to_classes,
)
from torch.utils.data import DataLoader, Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2

SOURCE = 384  # about the size of an Oxford-IIIT Pet photo (they vary, ~500x375)
BATCH = Config().batch_size


class PilPairs(Dataset):
    def __init__(self, data: SegTensors, size: int):
        self.images = [Image.fromarray(img.permute(1, 2, 0).numpy()) for img in data.images]
        self.masks = [Image.fromarray(mask.numpy()) for mask in data.masks]
        self.transform = v2.Compose(
            [
                v2.RandomResizedCrop(size, scale=(0.75, 1.0)),
                v2.RandomHorizontalFlip(),
                v2.ToImage(),
                v2.ToDtype({tv_tensors.Image: torch.float32, "others": None}, scale=True),
                v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
            ]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image, mask = self.transform(
            self.images[i], tv_tensors.Mask(v2.functional.pil_to_tensor(self.masks[i])[0])
        )
        return image, mask.long()


def images_per_second(loader: DataLoader, step=lambda images, masks: None) -> float:
    seen, start = 0, time.perf_counter()
    for images, masks in loader:
        step(images, masks)
        seen += len(images)
    return seen / (time.perf_counter() - start)


def resize_once(data: SegTensors, size: int) -> SegTensors:
    images = F.interpolate(data.images.float(), size=(size, size), mode="bilinear", antialias=True)
    masks = F.interpolate(data.masks[:, None].float(), size=(size, size), mode="nearest")
    return SegTensors(
        images.round().clamp(0, 255).to(torch.uint8), masks[:, 0].to(torch.uint8), data.class_names
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=512)
    args = parser.parse_args()
    torch.manual_seed(0)
    source = to_classes(*synthetic_pets(args.images, size=SOURCE), CLASS_MAPPINGS["trimap"])
    print(
        f"torch threads: {torch.get_num_threads()}, images: {args.images}, batch: {BATCH}, "
        f"source {SOURCE}x{SOURCE}"
    )
    for size in (128, 256):
        baseline = images_per_second(
            DataLoader(PilPairs(source, size), batch_size=BATCH, shuffle=True, num_workers=2)
        )
        start = time.perf_counter()
        data = resize_once(source, size)
        once = time.perf_counter() - start
        loader = DataLoader(data, batch_size=BATCH, shuffle=True, collate_fn=_whole_batch)
        feed = images_per_second(loader)
        full = images_per_second(loader, lambda i, m, s=size: prepare_batch(i, m, s, train=True))
        print(
            f"{size} px  baseline per-sample PIL (image+mask), 2 workers: {baseline:8.0f} images/s"
        )
        print(
            f"{size} px  ours CPU feed (augment on the GPU)          : {feed:8.0f} images/s  "
            f"{feed / baseline:6.1f}x"
        )
        print(
            f"{size} px  ours full pipeline run on the CPU           : {full:8.0f} images/s  "
            f"{full / baseline:6.1f}x   (+ one-time resize {once:.2f} s)"
        )


if __name__ == "__main__":
    main()
