"""Data for the segmentation demo: Oxford-IIIT Pet trimaps, or a generated twin for `--smoke`.

Colab gives two vCPUs, and per-sample PIL transforms of an image *and* its mask, every epoch, put
all the input work on them. So each source is decoded and resized once into uint8 tensors
(images `(N, 3, S, S)`, trimaps `(N, S, S)`), cached on disk, and batches are sliced out of
memory without a per-sample Python step; augmentation and normalisation run on whole batches on
the training device (`prepare_batch`), the mask through the same geometric transform as its image.
`bench/seg_input_pipeline.py` measures the gain.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from seg_train.config import Config

# ImageNet statistics: the pretrained backbone was trained with them, so we normalise with them
# too, and write them into the model card so the viewer does the same.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ClassMapping:
    """How trimap values become class indices; `class_names[i]` names class `i`."""

    class_names: list[str]
    trimap_to_class: dict[int, int]

    def lookup_table(self) -> torch.Tensor:
        """A 256-entry table: `table[trimaps]` maps a whole uint8 batch at once; 255 = unknown."""
        table = torch.full((256,), 255, dtype=torch.uint8)
        for value, class_id in self.trimap_to_class.items():
            table[value] = class_id
        return table

    def trimap_json(self) -> dict[str, int]:
        """`trimap_to_class` as JSON has it (string keys): the card's and dataset's metadata."""
        return {str(value): class_id for value, class_id in self.trimap_to_class.items()}


# The one written-down mapping. Oxford-IIIT Pet trimaps (README of annotations.tar.gz):
# 1 = pet, 2 = background, 3 = border ("not classified": the uncertain band along the outline).
# Training, the model card (extra.trimap_to_class) and the viewer all use this table.
CLASS_MAPPINGS = {
    "trimap": ClassMapping(["pet", "background", "border"], {1: 0, 2: 1, 3: 2}),
    "binary": ClassMapping(["pet", "background"], {1: 0, 2: 1, 3: 0}),
}

OXFORD_FOLDER = "oxford-iiit-pet"  # what torchvision extracts into data_dir
SPLITS = ("trainval", "test")  # Oxford's own split: 3680 training, 3669 test images
# Small on purpose: one DeepLabV3 training step takes ~2-3 s of CPU even at 48 px.
SYNTHETIC_SIZES = {"trainval": 128, "test": 32}


class DataError(RuntimeError):
    """The dataset is missing or unreadable; the message (Korean, then English) says what to do."""


@dataclass
class SegTensors(Dataset):
    """Images `(N, 3, S, S)` uint8 and class-index masks `(N, S, S)` uint8, batched by indexing."""

    images: torch.Tensor
    masks: torch.Tensor
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.masks[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        # DataLoader calls this with a whole batch of indices: one gather, no per-sample collate.
        index = torch.as_tensor(indices)
        return self.images[index], self.masks[index]


def _whole_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return batch  # __getitems__ already returns stacked tensors


def get_mapping(name: str) -> ClassMapping:
    try:
        return CLASS_MAPPINGS[name]
    except KeyError:
        raise DataError(
            f"알 수 없는 클래스 매핑입니다 — unknown class mapping {name!r}: "
            f"choose one of {', '.join(CLASS_MAPPINGS)}."
        ) from None


def to_classes(images: torch.Tensor, trimaps: torch.Tensor, mapping: ClassMapping) -> SegTensors:
    """Raw trimaps (values 1, 2, 3) -> class-index masks, through the one mapping."""
    masks = mapping.lookup_table()[trimaps.long()]
    if (masks == 255).any():
        unknown = sorted(set(trimaps[masks == 255].unique().tolist()))
        raise DataError(
            f"trimap에 매핑에 없는 값이 있습니다 — trimaps contain values {unknown} that the "
            "mapping does not know: "
            f"expected only {sorted(mapping.trimap_to_class)} (Oxford-IIIT Pet trimaps)."
        )
    return SegTensors(images, masks, list(mapping.class_names))


def _dilate(mask: torch.Tensor, width: int) -> torch.Tensor:
    return F.max_pool2d(mask.float()[:, None], 2 * width + 1, stride=1, padding=width)[:, 0] > 0


def synthetic_pets(n: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` generated "pets" and their trimaps, like Oxford's: 1 pet, 2 background, 3 border.

    A pet is a bright body (ellipse) with a head (circle) on a dull striped background; the border
    is a band along its outline. Learnable from colour and shape, but not by a single pixel value.
    """
    g = torch.Generator().manual_seed(seed)
    coords = (torch.arange(size) + 0.5) / size
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")

    # Background: stripes of random angle and frequency in two dull colours, plus noise.
    angle = torch.rand(n, 1, 1, generator=g) * math.pi
    freq = torch.rand(n, 1, 1, generator=g) * 6 + 3
    stripes = torch.sin((xx * angle.cos() + yy * angle.sin()) * freq * 2 * math.pi) > 0
    dull = torch.rand(n, 2, 3, generator=g) * 90 + 30
    background = torch.where(stripes[:, None], dull[:, 0, :, None, None], dull[:, 1, :, None, None])
    background = background + torch.randn(n, 3, size, size, generator=g) * 18

    # Pet: a rotated ellipse (body) plus a circle (head) at one end of it.
    centre = torch.rand(n, 2, generator=g) * 0.3 + 0.35
    axes = torch.rand(n, 2, generator=g) * 0.12 + torch.tensor([0.30, 0.21])
    theta = torch.rand(n, generator=g) * math.pi
    cos, sin = theta.cos()[:, None, None], theta.sin()[:, None, None]
    dx, dy = xx - centre[:, 0, None, None], yy - centre[:, 1, None, None]
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos
    body = (u / axes[:, 0, None, None]) ** 2 + (v / axes[:, 1, None, None]) ** 2 < 1
    head_r = axes[:, 1, None, None] * 0.9
    head_u = axes[:, 0, None, None] * 0.95
    head = (u - head_u) ** 2 + v**2 < head_r**2
    pet = body | head

    bright = torch.rand(n, 3, generator=g) * 100 + 110
    bright[torch.arange(n), torch.randint(0, 3, (n,), generator=g)] = 250  # one strong channel
    fur = bright[:, :, None, None] + torch.randn(n, 3, size, size, generator=g) * 12
    images = torch.where(pet[:, None], fur, background).clamp(0, 255).round().to(torch.uint8)

    # Border: pixels within `width` of the outline, on either side, as in Oxford's trimaps.
    width = max(1, size // 64)
    border = _dilate(pet, width) & _dilate(~pet, width)
    trimaps = torch.full((n, size, size), 2, dtype=torch.uint8)
    trimaps[pet] = 1
    trimaps[border] = 3
    return images, trimaps


def _decode_pair(image: Image.Image, trimap: Image.Image, size: int) -> tuple[torch.Tensor, ...]:
    """One Oxford sample, decoded by torchvision's dataset, resized once to `size` x `size`."""
    # Bilinear (antialiased by PIL when shrinking) for the photo, nearest for the labels.
    image = image.resize((size, size), Image.Resampling.BILINEAR)
    trimap = trimap.resize((size, size), Image.Resampling.NEAREST)
    return (
        torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1),
        torch.from_numpy(np.asarray(trimap, dtype=np.uint8).copy()),
    )


def load_oxford_pet(root: Path, split: str, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Oxford-IIIT Pet through torchvision (downloads ~800 MB once): images and raw trimaps.

    The decoded tensors are cached in `root/oxford-iiit-pet-<size>px/<split>.pt`, so the JPEGs are
    decoded once per image size, not once per epoch or per run.
    """
    cache = root / f"{OXFORD_FOLDER}-{size}px" / f"{split}.pt"
    if cache.is_file():
        data = torch.load(cache, weights_only=True)
        return data["images"], data["trimaps"]
    from torchvision.datasets import OxfordIIITPet

    try:
        ds = OxfordIIITPet(
            root=str(root),
            split=split,
            target_types="segmentation",
            transforms=functools.partial(_decode_pair, size=size),
            download=True,
        )
    except Exception as err:  # URLError, socket timeouts, a half-written archive
        raise DataError(
            "Oxford-IIIT Pet을 내려받지 못했습니다 — "
            f"Oxford-IIIT Pet could not be downloaded to {root / OXFORD_FOLDER} "
            f"({type(err).__name__}): use --smoke for the built-in synthetic dataset, or extract "
            "images.tar.gz and annotations.tar.gz there."
        ) from None
    # Decoding ~3.7k JPEGs is the slow part: spread it over the CPU cores, once.
    workers = min(4, os.cpu_count() or 1)
    loader = DataLoader(ds, batch_size=64, num_workers=workers if len(ds) > 256 else 0)
    try:
        images, trimaps = (torch.cat(parts) for parts in zip(*loader, strict=True))
    except (OSError, ValueError) as err:  # a truncated JPEG, a missing trimap
        raise DataError(
            "Oxford-IIIT Pet 파일이 불완전합니다 — "
            f"Oxford-IIIT Pet in {root / OXFORD_FOLDER} is incomplete ({err}): delete the folder "
            "to download it again, or use --smoke."
        ) from None
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    torch.save({"images": images, "trimaps": trimaps}, tmp)
    os.replace(tmp, cache)  # a run killed mid-write must not leave a broken cache behind
    return images, trimaps


def raw_data_dir(cfg: Config) -> Path:
    """Where the decoded tensors of this source and size live: what the dataset artifact holds."""
    if cfg.dataset == "synthetic":
        return cfg.output_dir / f"synthetic-pets-{cfg.img_size}px"
    return cfg.data_dir / f"{OXFORD_FOLDER}-{cfg.img_size}px"


def load_raw(cfg: Config) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """{split: (images, trimaps)} at `cfg.img_size`, from Oxford or freshly generated and saved."""
    if cfg.dataset == "oxford-pet":
        return {split: load_oxford_pet(cfg.data_dir, split, cfg.img_size) for split in SPLITS}
    folder = raw_data_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    raw = {}
    for i, split in enumerate(SPLITS):
        images, trimaps = synthetic_pets(SYNTHETIC_SIZES[split], cfg.img_size, seed=cfg.seed + i)
        # Saved so the dataset artifact holds exactly the pixels the model saw.
        torch.save({"images": images, "trimaps": trimaps}, folder / f"{split}.pt")
        raw[split] = (images, trimaps)
    return raw


def build_datasets(cfg: Config) -> tuple[SegTensors, SegTensors]:
    """(train, val) as class-index masks under `cfg.class_mapping`."""
    mapping = get_mapping(cfg.class_mapping)
    raw = load_raw(cfg)
    train, val = to_classes(*raw["trainval"], mapping), to_classes(*raw["test"], mapping)
    if cfg.max_train_samples is not None and cfg.max_train_samples < len(train):
        keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(cfg.seed))
        keep = keep[: cfg.max_train_samples]
        train = SegTensors(train.images[keep], train.masks[keep], train.class_names)
    return train, val


def build_dataloaders(cfg: Config) -> tuple[DataLoader, DataLoader, list[str]]:
    """Batches of uint8 images and masks straight from memory; `prepare_batch` does the rest."""
    train, val = build_datasets(cfg)
    generator = torch.Generator().manual_seed(cfg.seed)
    train_loader = DataLoader(
        train, batch_size=cfg.batch_size, shuffle=True, drop_last=len(train) > cfg.batch_size,
        collate_fn=_whole_batch, generator=generator, pin_memory=torch.cuda.is_available(),
    )  # fmt: skip
    val_loader = DataLoader(
        val, batch_size=cfg.batch_size * 2, shuffle=False, collate_fn=_whole_batch,
        pin_memory=torch.cuda.is_available(),
    )  # fmt: skip
    return train_loader, val_loader, train.class_names


def prepare_batch(
    images: torch.Tensor, masks: torch.Tensor, img_size: int, *, train: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images `(B, 3, h, w)` and masks `(B, h, w)` -> model input and target.

    Returns normalised float images `(B, 3, img_size, img_size)` (channels_last) and long masks
    `(B, img_size, img_size)`. Runs on whatever device the batch is on: the GPU when there is
    one, else the CPU. With `train=False` it only preprocesses (what the model card's
    `preprocessing` says and the viewer does). Training: a random square crop (0.75-1 of the
    side, anywhere in the image) scaled to `img_size` and a horizontal flip per sample, as one
    index gather shared by image and mask — nearest sampling, so every label stays exactly on
    its pixel and no float copy of the batch is made before the crop. Evaluation: a plain resize
    (bilinear image, nearest mask), if any.
    """
    n, _, h, w = images.shape
    device = images.device
    if train:
        crop = torch.empty(n, 1, device=device).uniform_(0.75, 1.0)
        top = torch.rand(n, 1, device=device) * (1 - crop) * h
        left = torch.rand(n, 1, device=device) * (1 - crop) * w
        # Pixel centres in the crop.
        steps = (torch.arange(img_size, device=device) + 0.5) / img_size
        rows = (top + steps * crop * h).long().clamp_(0, h - 1)  # (n, img_size)
        cols = (left + steps * crop * w).long().clamp_(0, w - 1)
        flip = torch.rand(n, 1, device=device) < 0.5
        cols = torch.where(flip, cols.flip(1), cols)
        batch = torch.arange(n, device=device)[:, None, None]
        masks = masks[batch, rows[:, :, None], cols[:, None, :]]
        images = images[batch[:, None], torch.arange(3, device=device)[None, :, None, None],
                        rows[:, None, :, None], cols[:, None, None, :]]  # fmt: skip
    elif (h, w) != (img_size, img_size):
        # CPUs resize uint8 directly (a fast vectorised kernel); CUDA interpolates floats only.
        source = images if device.type == "cpu" else images.float()
        images = F.interpolate(
            source,
            size=(img_size, img_size),
            mode="bilinear",
            antialias=img_size < h,
            align_corners=False,
        )
        masks = F.interpolate(masks[:, None], size=(img_size, img_size), mode="nearest")[:, 0]
    images = images.contiguous(memory_format=torch.channels_last)  # cheaper on uint8 than float
    # (x / 255 - mean) / std as one multiply-add: x * scale + shift.
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    return torch.addcmul(-mean / std, images.float(), 1 / (255 * std)), masks.long()
