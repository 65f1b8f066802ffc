"""Captioned images for the generation demo: naruto-blip-captions, or a generated twin.

As in cls-train, images are decoded once into a uint8 tensor `(N, 3, R, R)` (resized so the short
side is R, centre-cropped), captions are tokenised once into `(N, 77)` ids, and batches are sliced
out by indexing. The random flip and the scaling to [-1, 1] run on the training device
(`prepare_batch`): Colab's two vCPUs should not stand between the T4 and its next batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from transformers import PreTrainedTokenizerBase
from wb_common.hub import hub_reachable

from gen_train.config import NARUTO, Config


class DataError(RuntimeError):
    """The dataset is missing or unreadable; the message says what to do instead."""


@dataclass
class CaptionedImages(Dataset):
    """uint8 images `(N, 3, R, R)`, their captions, and the captions' token ids `(N, 77)`."""

    images: torch.Tensor
    captions: list[str]
    input_ids: torch.Tensor

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.input_ids[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(indices)  # one gather for the whole batch, no per-sample collate
        return self.images[index], self.input_ids[index]

    def subset(self, index: torch.Tensor) -> CaptionedImages:
        return CaptionedImages(
            self.images[index], [self.captions[i] for i in index.tolist()], self.input_ids[index]
        )


def _whole_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return batch  # __getitems__ already returns stacked tensors


# ---- the synthetic twin: coloured shapes with the captions that describe them --------------------

SHAPES = ("circle", "square", "triangle", "cross")
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (50, 80, 220),
    "yellow": (230, 210, 40),
}
BACKGROUNDS = {"white": (235, 235, 235), "black": (25, 25, 25)}


def synthetic_captioned_images(
    n: int, size: int = 32, seed: int = 0
) -> tuple[torch.Tensor, list[str]]:
    """`n` images of a coloured shape on a plain background, captioned "a red circle on white".

    The caption says everything the image shows, so text conditioning has something to learn.
    """
    g = torch.Generator().manual_seed(seed)
    shape = torch.randint(0, len(SHAPES), (n,), generator=g)
    colour = torch.randint(0, len(COLOURS), (n,), generator=g)
    background = torch.randint(0, len(BACKGROUNDS), (n,), generator=g)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = torch.rand(n, 2, generator=g) * size * 0.3 + size * 0.35
    radius = (torch.rand(n, generator=g) * 0.1 + 0.2) * size
    dx = xx[None] - centre[:, 0, None, None]
    dy = yy[None] - centre[:, 1, None, None]
    r = radius[:, None, None]
    masks = torch.stack(
        [
            dx**2 + dy**2 < r**2,  # circle
            torch.maximum(dx.abs(), dy.abs()) < r * 0.85,  # square
            (dy < r * 0.8) & (dy > 2 * dx.abs() - r),  # triangle, apex up
            ((dx.abs() < r * 0.3) | (dy.abs() < r * 0.3)) & (torch.maximum(dx.abs(), dy.abs()) < r),
        ]
    )[shape, torch.arange(n)]  # (n, H, W)
    fg = torch.tensor(list(COLOURS.values()), dtype=torch.uint8)[colour]
    bg = torch.tensor(list(BACKGROUNDS.values()), dtype=torch.uint8)[background]
    images = torch.where(masks[:, None], fg[:, :, None, None], bg[:, :, None, None])
    colour_names, background_names = list(COLOURS), list(BACKGROUNDS)
    captions = [
        f"a {colour_names[c]} {SHAPES[s]} on {background_names[b]}"
        for s, c, b in zip(shape.tolist(), colour.tolist(), background.tolist(), strict=True)
    ]
    return images.contiguous(), captions


# ---- naruto-blip-captions ----------------------------------------------------------------------


def load_naruto(resolution: int, max_samples: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """lambdalabs/naruto-blip-captions (1,221 images, ~700 MB on first use) as uint8 + captions.

    Offline, the Hugging Face cache is used when it has the data; otherwise one sentence says
    what to do, after a few seconds rather than a hanging download.
    """
    from datasets import load_dataset
    from huggingface_hub import snapshot_download

    offline = not hub_reachable()
    try:
        folder = snapshot_download(NARUTO, repo_type="dataset", local_files_only=offline)
        ds = load_dataset(folder, split="train")
    except Exception as err:  # LocalEntryNotFoundError, HTTP errors, a broken cache
        where = (
            "is not in the local Hugging Face cache and the Hub is not reachable"
            if offline
            else (f"could not be downloaded ({type(err).__name__})")
        )
        raise DataError(
            f"데이터셋을 내려받을 수 없습니다 — {NARUTO} {where}: use --smoke for the built-in "
            "synthetic captions, or run once with network to cache it."
        ) from None
    if max_samples is not None:
        ds = ds.select(range(min(max_samples, len(ds))))
    images = torch.stack([decode(item, resolution) for item in ds["image"]])
    return images, list(ds["text"])


def decode(image: Image.Image, resolution: int) -> torch.Tensor:
    """PIL image -> uint8 `(3, R, R)`: short side resized to R (bilinear), centre-cropped."""
    image = image.convert("RGB")
    scale = resolution / min(image.size)
    w, h = max(resolution, round(image.width * scale)), max(resolution, round(image.height * scale))
    image = image.resize((w, h), Image.Resampling.BILINEAR)
    left, top = (w - resolution) // 2, (h - resolution) // 2
    image = image.crop((left, top, left + resolution, top + resolution))
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()


# ---- datasets and loaders ------------------------------------------------------------------------


def tokenize(tokenizer: PreTrainedTokenizerBase, captions: list[str]) -> torch.Tensor:
    """All captions at once, padded and truncated to the text encoder's 77 positions."""
    return tokenizer(
        captions,
        max_length=tokenizer.model_max_length,
        padding="max_length",
        truncation=True,
        return_tensors="pt",
    ).input_ids


def build_datasets(
    cfg: Config, tokenizer: PreTrainedTokenizerBase
) -> tuple[CaptionedImages, CaptionedImages]:
    """(train, val): `val_samples` images held out for a comparable val/loss."""
    if cfg.dataset == "synthetic":
        # 256 images: every shape x colour x background combination, many times over.
        images, captions = synthetic_captioned_images(
            256 + cfg.val_samples, cfg.resolution, cfg.seed
        )
    else:
        limit = None if cfg.max_train_samples is None else cfg.max_train_samples + cfg.val_samples
        images, captions = load_naruto(cfg.resolution, limit)
    data = CaptionedImages(images, captions, tokenize(tokenizer, captions))
    if len(data) <= cfg.val_samples:
        raise DataError(
            f"검증용으로 떼어 둘 이미지가 부족합니다 — {len(data)} images are too few to hold out "
            f"val_samples={cfg.val_samples}."
        )
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(cfg.seed))
    val, train = data.subset(order[: cfg.val_samples]), data.subset(order[cfg.val_samples :])
    if cfg.max_train_samples is not None and cfg.max_train_samples < len(train):
        train = train.subset(torch.arange(cfg.max_train_samples))
    return train, val


def build_dataloaders(
    cfg: Config, tokenizer: PreTrainedTokenizerBase
) -> tuple[DataLoader, DataLoader]:
    """Shuffled training batches and fixed validation batches, uint8 straight from memory."""
    train, val = build_datasets(cfg, tokenizer)
    train_loader = DataLoader(
        train,
        batch_size=cfg.batch_size,
        shuffle=True,
        drop_last=len(train) > cfg.batch_size,
        collate_fn=_whole_batch,
        generator=torch.Generator().manual_seed(cfg.seed),
        pin_memory=torch.cuda.is_available(),
    )
    val_loader = DataLoader(
        val,
        batch_size=cfg.batch_size,
        shuffle=False,
        collate_fn=_whole_batch,
        pin_memory=torch.cuda.is_available(),
    )
    return train_loader, val_loader


def dataset_files(cfg: Config, train: CaptionedImages, val: CaptionedImages) -> Path | None:
    """What the dataset artifact versions: the generated tensors; None for the Hub dataset.

    The Hub dataset is versioned by reference (its id and size in metadata); the synthetic one is
    saved once so the artifact holds exactly what the model saw.
    """
    if cfg.dataset != "synthetic":
        return None
    path = cfg.output_dir / f"{cfg.dataset_name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"train": (train.images, train.captions), "val": (val.images, val.captions)}, path)
    return path


def prepare_batch(images: torch.Tensor, train: bool) -> torch.Tensor:
    """uint8 `(B, 3, R, R)` on the device -> float in [-1, 1], half of them flipped when training.

    [-1, 1] is the range the SD VAE was trained on (diffusers' Normalize([0.5], [0.5])).
    """
    images = images.float()
    if train:
        flip = torch.rand(len(images), device=images.device) < 0.5
        images = torch.where(flip[:, None, None, None], images.flip(-1), images)
    return images / 127.5 - 1.0
