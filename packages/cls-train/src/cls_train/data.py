"""Data for the classification demo: CIFAR-10, your own ImageFolder, or a generated twin.

Colab gives two vCPUs, and per-image PIL transforms on two cores cannot keep a T4 busy at 224 px.
So every source is decoded once into a uint8 tensor `(N, 3, H, W)`, batches are sliced out of it
without a per-sample Python step, and augmentation, resizing and normalisation run on whole
batches on the training device (`prepare_batch`). `bench/cls_input_pipeline.py` measures the gain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from cls_train.config import Config

# ImageNet statistics: the pretrained ResNet-18 was trained with them, so we normalise with them
# too, and write them into the model card so the viewer does the same.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip

# The synthetic twin: ten classes, each a shape in its own colour on a noisy background.
_SHAPES = ("circle", "square", "diamond", "hbar", "vbar")
_COLOURS = {
    "red": (220, 40, 40), "green": (40, 180, 60), "blue": (50, 80, 220), "yellow": (230, 210, 40),
    "purple": (150, 60, 200), "orange": (240, 140, 30), "cyan": (40, 200, 210),
    "pink": (240, 120, 180), "brown": (130, 80, 40), "white": (240, 240, 240),
}  # fmt: skip
SYNTHETIC_CLASSES = [
    f"{shape}-{colour}" for shape, colour in zip(_SHAPES * 2, _COLOURS, strict=True)
]


CIFAR10_FOLDER = "cifar-10-batches-py"  # what torchvision extracts into data_dir


class DataError(RuntimeError):
    """The dataset is missing or unreadable; the message (Korean, then English) says what to do."""


@dataclass
class ImageTensors(Dataset):
    """Decoded images `(N, 3, H, W)` uint8 and labels `(N,)`, batched by fancy indexing."""

    images: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        # DataLoader calls this with a whole batch of indices: one gather, no per-sample collate.
        index = torch.as_tensor(indices)
        return self.images[index], self.labels[index]


def _whole_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return batch  # __getitems__ already returns stacked tensors


def synthetic_images(n: int, size: int = 32, seed: int = 0) -> ImageTensors:
    """`n` generated images of the ten SYNTHETIC_CLASSES: learnable, but not trivially by pixel."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, len(SYNTHETIC_CLASSES), (n,), generator=g)
    images = torch.randint(60, 140, (n, 3, size, size), generator=g, dtype=torch.uint8)

    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = torch.rand(n, 2, generator=g) * size * 0.5 + size * 0.25
    radius = (torch.rand(n, generator=g) * 0.15 + 0.15) * size
    dx = (xx[None] - centre[:, 0, None, None]).abs()
    dy = (yy[None] - centre[:, 1, None, None]).abs()
    r = radius[:, None, None]
    masks = torch.stack(
        [
            dx**2 + dy**2 < r**2,  # circle
            torch.maximum(dx, dy) < r * 0.85,  # square
            dx + dy < r * 1.2,  # diamond
            (dy < r * 0.35) & (dx < r * 1.3),  # horizontal bar
            (dx < r * 0.35) & (dy < r * 1.3),  # vertical bar
        ]
    )  # (5, n, H, W)
    shape_mask = masks[labels % len(_SHAPES), torch.arange(n)]
    colours = torch.tensor(list(_COLOURS.values()), dtype=torch.float32)[labels]
    colours = (colours + torch.randn(n, 3, generator=g) * 20).clamp(0, 255).to(torch.uint8)
    images = torch.where(shape_mask[:, None], colours[:, :, None, None], images)
    return ImageTensors(images, labels, list(SYNTHETIC_CLASSES))


def load_cifar10(root: Path, train: bool) -> ImageTensors:
    """CIFAR-10 through torchvision (downloads ~170 MB on first use), as uint8 tensors."""
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(root=str(root), train=train, download=True)
    except Exception as err:  # URLError, socket timeouts, a half-written archive
        raise DataError(
            f"CIFAR-10을 내려받지 못했습니다 — CIFAR-10 could not be downloaded to {root} "
            f"({type(err).__name__}): "
            "use --smoke for the built-in synthetic dataset, or put cifar-10-python.tar.gz there."
        ) from None
    images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()  # N,32,32,3 -> N,3,32,32
    return ImageTensors(images, torch.tensor(ds.targets), list(ds.classes))


def skipped_line(paths: list[Path]) -> str:
    """How many unreadable images were left out, and the first few by name (Korean, English)."""
    shown = ", ".join(map(str, paths[:3])) + (", …" if len(paths) > 3 else "")
    return (
        f"읽을 수 없는 이미지 {len(paths)}개를 건너뜁니다 — "
        f"skipped {len(paths)} unreadable image(s): {shown}"
    )


def load_imagefolder(root: Path, size: int) -> ImageTensors:
    """Your own images in `root/<class>/<image>`, decoded once and resized to `size` x `size`."""
    from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes
    from torchvision.io import ImageReadMode, decode_image

    try:
        class_names, class_to_idx = find_classes(str(root))
    except FileNotFoundError:
        raise DataError(
            f"클래스 폴더가 없습니다 — {root} has no class folders: "
            f"ImageFolder expects {root}/<class>/<image>."
        ) from None
    images, labels, skipped = [], [], []
    for name in class_names:
        for path in sorted((root / name).rglob("*")):
            if path.suffix.lower() not in IMG_EXTENSIONS:
                continue
            try:
                image = decode_image(str(path), mode=ImageReadMode.RGB)
            except RuntimeError:
                skipped.append(path.relative_to(root))
                continue
            images.append(
                F.interpolate(
                    image[None].float(), size=(size, size), antialias=True, mode="bilinear"
                )
                .round()
                .clamp(0, 255)
                .to(torch.uint8)[0]
            )
            labels.append(class_to_idx[name])
    if skipped:  # one line for all of them, not a warning per file
        print(skipped_line(skipped), flush=True)
    if len(set(labels)) < 2:
        raise DataError(
            "클래스 폴더가 두 개 이상 필요합니다 — "
            f"{root} needs images in at least two class folders, found {len(set(labels))}."
        )
    return ImageTensors(torch.stack(images), torch.tensor(labels), class_names)


def _split(data: ImageTensors, val_fraction: float, seed: int) -> tuple[ImageTensors, ImageTensors]:
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, math.ceil(len(data) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return (
        ImageTensors(data.images[train], data.labels[train], data.class_names),
        ImageTensors(data.images[val], data.labels[val], data.class_names),
    )


def build_datasets(cfg: Config) -> tuple[ImageTensors, ImageTensors]:
    """(train, val) for the configured source, each holding its class names."""
    if cfg.dataset == "synthetic":
        # 1024 images learn to >90% val/acc in two epochs on a CPU; more only costs time.
        train, val = synthetic_images(1024, seed=cfg.seed), synthetic_images(256, seed=cfg.seed + 1)
    elif cfg.dataset == "cifar10":
        train, val = load_cifar10(cfg.data_dir, train=True), load_cifar10(cfg.data_dir, train=False)
    elif (cfg.data_dir / "train").is_dir() and (cfg.data_dir / "val").is_dir():
        train = load_imagefolder(cfg.data_dir / "train", cfg.img_size)
        val = load_imagefolder(cfg.data_dir / "val", cfg.img_size)
    else:  # one folder of classes: hold out 20% for validation
        train, val = _split(load_imagefolder(cfg.data_dir, cfg.img_size), 0.2, cfg.seed)
    if cfg.max_train_samples is not None and cfg.max_train_samples < len(train):
        keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(cfg.seed))
        keep = keep[: cfg.max_train_samples]
        train = ImageTensors(train.images[keep], train.labels[keep], train.class_names)
    return train, val


def dataset_files(cfg: Config, train: ImageTensors, val: ImageTensors) -> Path:
    """What the dataset artifact versions: the files the images came from.

    CIFAR-10: torchvision's extracted batches; ImageFolder: your folder; synthetic: the generated
    tensors, saved once so the artifact holds exactly what the model saw.
    """
    if cfg.dataset == "cifar10":
        return cfg.data_dir / CIFAR10_FOLDER
    if cfg.dataset == "imagefolder":
        return cfg.data_dir
    path = cfg.output_dir / f"{cfg.dataset_name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "train": (train.images, train.labels),
            "val": (val.images, val.labels),
            "class_names": train.class_names,
        },
        path,
    )
    return path


def build_dataloaders(cfg: Config) -> tuple[DataLoader, DataLoader, list[str]]:
    """Batches of uint8 images straight from memory; `prepare_batch` does the rest on the device."""
    train, val = build_datasets(cfg)
    generator = torch.Generator().manual_seed(cfg.seed)
    train_loader = DataLoader(
        train, batch_size=cfg.batch_size, shuffle=True, drop_last=len(train) > cfg.batch_size,
        collate_fn=_whole_batch, generator=generator, pin_memory=torch.cuda.is_available(),
    )  # fmt: skip
    val_loader = DataLoader(
        val,
        batch_size=cfg.batch_size * 2,
        shuffle=False,
        collate_fn=_whole_batch,
        pin_memory=torch.cuda.is_available(),
    )
    return train_loader, val_loader, train.class_names


def prepare_batch(images: torch.Tensor, img_size: int, *, train: bool) -> torch.Tensor:
    """uint8 `(B, 3, h, w)` -> normalised float `(B, 3, img_size, img_size)`, channels_last.

    Runs on whatever device the batch is on: the GPU when there is one, else the CPU. With
    `train=False` it only preprocesses (resize, normalise: what the model card's `preprocessing`
    says and the viewer does). Training adds the classic CIFAR augmentation per image — a random
    shift of up to h/8 pixels (edges repeated) and a horizontal flip — as one gather at the
    source resolution, before the resize.
    """
    n, _, h, w = images.shape
    device = images.device
    if train:
        pad = max(1, h // 8)
        rows = torch.arange(h, device=device) + torch.randint(-pad, pad + 1, (n, 1), device=device)
        cols = torch.arange(w, device=device) + torch.randint(-pad, pad + 1, (n, 1), device=device)
        rows, cols = rows.clamp_(0, h - 1), cols.clamp_(0, w - 1)
        flip = torch.rand(n, 1, device=device) < 0.5
        cols = torch.where(flip, cols.flip(1), cols)
        batch = torch.arange(n, device=device)[:, None, None, None]
        channel = torch.arange(3, device=device)[None, :, None, None]
        images = images[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
    images = images.contiguous(memory_format=torch.channels_last)
    if (h, w) != (img_size, img_size):
        # CPUs resize uint8 directly (a fast vectorised kernel); CUDA interpolates floats only.
        source = images if device.type == "cpu" else images.float()
        images = F.interpolate(
            source,
            size=(img_size, img_size),
            mode="bilinear",
            antialias=img_size < h,
            align_corners=False,
        )
    # (x / 255 - mean) / std as one multiply-add: x * scale + shift.
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    return torch.addcmul(-mean / std, images.float(), 1 / (255 * std))
