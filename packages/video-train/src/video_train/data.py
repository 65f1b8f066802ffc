"""Data for the video demo: the UCF-101 subset, your own video folder, or a generated twin.

Decoding video is the slow part on Colab's two vCPUs. So every clip is decoded once with PyAV
(`video_io.decode_clip`: `num_frames` frames over `clip_duration` seconds, resized to
`img_size`), kept as one uint8 tensor `(N, T, 3, H, W)` and cached on disk per setting; batches
are sliced out of it, and augmentation and normalisation run on whole batches on the training
device (`prepare_batch`). `bench/video_loader.py` measures the gain over decoding on the fly.

All three sources share one layout and one loader: `<root>/<split>/<class>/<video>`.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tarfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.models.video import R3D_18_Weights

from video_train.config import Config
from video_train.video_io import VIDEO_SUFFIXES, VideoDecodeError, decode_clip, write_video

# The Kinetics-400 statistics of R3D-18's pretrained weights, read from torchvision's own preset
# so they cannot drift; the model card carries them to the viewer.
_KINETICS_PRESET = R3D_18_Weights.DEFAULT.transforms()
KINETICS_MEAN = tuple(_KINETICS_PRESET.mean)  # (0.43216, 0.394666, 0.37645)
KINETICS_STD = tuple(_KINETICS_PRESET.std)  # (0.22803, 0.22145, 0.216989)

# Ten UCF-101 classes, 405 clips, packed by Sayak Paul for the Hugging Face video-classification
# guide (https://huggingface.co/docs/transformers/tasks/video_classification). UCF-101 itself:
# Soomro et al. 2012, https://www.crcv.ucf.edu/data/UCF101.php (6.5 GB, rar).
UCF101_SUBSET_URL = (
    "https://huggingface.co/datasets/sayakpaul/ucf101-subset/resolve/main/UCF101_subset.tar.gz"
)
UCF101_SUBSET_FOLDER = "UCF101_subset"  # train/ (300 clips), val/ (30), test/ (75)

# The synthetic twin: a disc moving across a noisy background; the class is where it moves.
SYNTHETIC_DIRECTIONS = {"right": (1, 0), "left": (-1, 0), "down": (0, 1), "up": (0, -1)}
SYNTHETIC_CLASSES = list(SYNTHETIC_DIRECTIONS)
SYNTHETIC_SIZES = {"train": 64, "val": 32}  # clips per split: ~8 training steps in 2 epochs
SYNTHETIC_FRAMES, SYNTHETIC_FPS, SYNTHETIC_PIXELS = 8, 8, 64  # 1 s clips, 64 px


class DataError(RuntimeError):
    """The dataset is missing or unreadable; the message says what to do instead."""


@dataclass
class VideoTensors(Dataset):
    """Decoded clips `(N, T, 3, H, W)` uint8 and labels `(N,)`, batched by fancy indexing.

    `(T, 3, H, W)` per clip is what `wandb.Video` takes; the model's `(B, 3, T, H, W)` is made on
    the device by `prepare_batch`.
    """

    clips: torch.Tensor
    labels: torch.Tensor
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.clips[index], self.labels[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        # DataLoader calls this with a whole batch of indices: one gather, no per-sample collate.
        index = torch.as_tensor(indices)
        return self.clips[index], self.labels[index]


@dataclass
class VideoFiles(Dataset):
    """The same clips decoded on the fly, one file per item: the baseline the cache replaces."""

    paths: list[Path]
    labels: list[int]
    num_frames: int
    clip_duration: float
    size: int

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        clip = decode_clip(self.paths[index], self.num_frames, self.clip_duration, self.size)
        return clip, torch.tensor(self.labels[index])


def _whole_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return batch  # __getitems__ already returns stacked tensors


def list_videos(root: Path) -> tuple[list[Path], list[int], list[str]]:
    """Video files under `root/<class>/`, their class indices and the sorted class names."""
    class_names = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    paths, labels = [], []
    for label, name in enumerate(class_names):
        for path in sorted((root / name).rglob("*")):
            if path.suffix.lower() in VIDEO_SUFFIXES:
                paths.append(path)
                labels.append(label)
    if len(set(labels)) < 2:
        raise DataError(
            f"클래스 폴더가 두 개 이상 필요합니다 — {root} needs videos in at least two class "
            f"folders ({root}/<class>/<video>), found {len(set(labels))}."
        )
    return paths, labels, class_names


def load_video_folder(
    root: Path, num_frames: int, clip_duration: float, size: int, cache_dir: Path | None = None
) -> VideoTensors:
    """Decode every clip under `root/<class>/` once; unreadable files are skipped with a warning.

    With `cache_dir`, the tensors are saved under a name that encodes the files and the sampling
    settings, so the next run (or sweep trial) with the same settings skips decoding.
    """
    paths, labels, class_names = list_videos(root)
    cache = None
    if cache_dir is not None:
        key = hashlib.sha1(repr([(str(p), p.stat().st_size) for p in paths]).encode()).hexdigest()[
            :10
        ]
        cache = cache_dir / f"{root.name}-{num_frames}f-{clip_duration:g}s-{size}px-{key}.pt"
        if cache.is_file():
            saved = torch.load(cache, weights_only=True)
            return VideoTensors(saved["clips"], saved["labels"], saved["class_names"])
    clips, kept = [], []
    for path, label in zip(paths, labels, strict=True):
        try:
            clips.append(decode_clip(path, num_frames, clip_duration, size))
        except VideoDecodeError as err:
            warnings.warn(f"skipping {path}: not a readable video ({err})", stacklevel=2)
            continue
        kept.append(label)
    if len(set(kept)) < 2:
        raise DataError(
            f"읽을 수 있는 영상이 있는 클래스가 두 개 미만입니다 — {root} has readable videos "
            "in fewer than two classes."
        )
    data = VideoTensors(torch.stack(clips), torch.tensor(kept), class_names)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        torch.save({"clips": data.clips, "labels": data.labels, "class_names": class_names}, tmp)
        os.replace(tmp, cache)
    return data


def synthetic_frames(direction: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """One clip `(T, H, W, 3)`: a bright disc crossing a static noisy background."""
    n, t = SYNTHETIC_PIXELS, SYNTHETIC_FRAMES
    background = rng.integers(40, 120, size=(n, n, 3), dtype=np.uint8)
    colour = rng.integers(150, 256, size=3, dtype=np.uint8)
    radius = n * rng.uniform(0.12, 0.18)
    velocity = np.array(direction, dtype=np.float64) * n * 0.45 / (t - 1)  # 45% of the frame
    start = n / 2 - velocity * (t - 1) / 2 + rng.uniform(-0.1, 0.1, size=2) * n
    yy, xx = np.mgrid[0:n, 0:n]
    frames = np.repeat(background[None], t, axis=0)
    for i in range(t):
        cx, cy = start + velocity * i
        frames[i][(xx - cx) ** 2 + (yy - cy) ** 2 < radius**2] = colour
    return frames


def write_synthetic_videos(root: Path, seed: int = 0) -> Path:
    """Write the twin as real mp4 files in `root/<split>/<direction>/`, once per folder.

    The loader then decodes them like any downloaded video, so smoke runs test the decode path.
    """
    done = root.with_name(root.name + ".complete")  # beside, so the artifact holds only videos
    if done.is_file():
        return root
    rng = np.random.default_rng(seed)
    for split, count in SYNTHETIC_SIZES.items():
        for i in range(count):
            name = SYNTHETIC_CLASSES[i % len(SYNTHETIC_CLASSES)]
            frames = synthetic_frames(SYNTHETIC_DIRECTIONS[name], rng)
            write_video(root / split / name / f"{split}_{i:04d}.mp4", frames, SYNTHETIC_FPS)
    done.touch()
    return root


def download_ucf101_subset(data_dir: Path) -> Path:
    """Download and extract the 10-class subset (171 MB) into `data_dir`, once."""
    root = data_dir / UCF101_SUBSET_FOLDER
    if (root / "train").is_dir():
        return root
    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / "UCF101_subset.tar.gz"
    try:
        if not archive.is_file():
            part = archive.with_suffix(".part")
            with (
                urllib.request.urlopen(UCF101_SUBSET_URL, timeout=60) as response,
                part.open("wb") as f,
            ):
                shutil.copyfileobj(response, f)
            os.replace(part, archive)
        # Extract beside, then rename: an interrupted extraction never looks like a finished one.
        staging = data_dir / ".extracting"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(archive) as tar:
            # The "data" filter refuses absolute paths and links out of the folder (PEP 706).
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(staging, **safe)
        os.replace(staging / UCF101_SUBSET_FOLDER, root)
        shutil.rmtree(staging, ignore_errors=True)
    except (OSError, EOFError, tarfile.TarError) as err:  # URLError, timeouts, a cut download
        if isinstance(err, EOFError | tarfile.TarError):
            archive.unlink(missing_ok=True)  # a broken archive: download it afresh next time
        raise DataError(
            "UCF-101 서브셋을 내려받지 못했습니다 — the UCF-101 subset could not be downloaded "
            f"to {data_dir} ({type(err).__name__}): "
            f"use --smoke for the built-in synthetic videos, or extract UCF101_subset.tar.gz "
            f"from {UCF101_SUBSET_URL} there."
        ) from None
    return root


def build_datasets(cfg: Config) -> tuple[VideoTensors, VideoTensors]:
    """(train, val) for the configured source, decoded once, each holding its class names."""
    sample = (cfg.num_frames, cfg.clip_duration, cfg.img_size)
    cache_dir = cfg.data_dir / "decoded"
    if cfg.dataset == "synthetic":
        root = write_synthetic_videos(cfg.data_dir / cfg.dataset_name, seed=cfg.seed)
        train = load_video_folder(root / "train", *sample, cache_dir)
        val = load_video_folder(root / "val", *sample, cache_dir)
    elif cfg.dataset == "ucf101-subset":
        root = download_ucf101_subset(cfg.data_dir)
        train = load_video_folder(root / "train", *sample, cache_dir)
        # val/ holds only 3 clips a class; with test/ a clip moves val/acc by 1 point, not 3.
        val_parts = [load_video_folder(root / s, *sample, cache_dir) for s in ("val", "test")]
        val = VideoTensors(
            torch.cat([v.clips for v in val_parts]),
            torch.cat([v.labels for v in val_parts]),
            train.class_names,
        )
    elif (cfg.data_dir / "train").is_dir() and (cfg.data_dir / "val").is_dir():
        train = load_video_folder(cfg.data_dir / "train", *sample, cache_dir)
        val = load_video_folder(cfg.data_dir / "val", *sample, cache_dir)
    else:  # one folder of classes: hold out 20% for validation
        train, val = _split(load_video_folder(cfg.data_dir, *sample), 0.2, cfg.seed)
    if train.class_names != val.class_names:
        raise DataError(
            "train과 val의 클래스 폴더가 다릅니다 — train and val have different class folders: "
            f"{train.class_names} vs {val.class_names}."
        )
    if cfg.max_train_samples is not None and cfg.max_train_samples < len(train):
        keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(cfg.seed))
        keep = keep[: cfg.max_train_samples]
        train = VideoTensors(train.clips[keep], train.labels[keep], train.class_names)
    return train, val


def _split(data: VideoTensors, val_fraction: float, seed: int) -> tuple[VideoTensors, VideoTensors]:
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, math.ceil(len(data) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    return (
        VideoTensors(data.clips[train], data.labels[train], data.class_names),
        VideoTensors(data.clips[val], data.labels[val], data.class_names),
    )


def dataset_files(cfg: Config) -> Path:
    """What the dataset artifact versions: the video files themselves (not the decoded cache)."""
    if cfg.dataset == "synthetic":
        return cfg.data_dir / cfg.dataset_name
    if cfg.dataset == "ucf101-subset":
        return cfg.data_dir / UCF101_SUBSET_FOLDER
    return cfg.data_dir


def build_dataloaders(cfg: Config) -> tuple[DataLoader, DataLoader, list[str]]:
    """Batches of uint8 clips straight from memory; `prepare_batch` does the rest on the device."""
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


def prepare_batch(
    clips: torch.Tensor, size: int, *, train: bool, hflip: bool = True, crop: bool = True
) -> torch.Tensor:
    """uint8 `(B, T, 3, h, w)` on the device -> normalised float `(B, 3, T, size, size)`.

    Runs wherever the batch is (GPU or CPU); with `train=False` it only preprocesses.

    Training: one random zoom-and-shift crop (scale 0.8-1) per clip when `crop`, the same for all
    its frames so motion stays intact, and a horizontal flip when `hflip`; all in one
    `affine_grid` / `grid_sample` call that also resizes. Evaluation (or neither augmentation):
    a plain resize when sizes differ.
    """
    b, t = clips.shape[:2]
    x = clips.flatten(0, 1).float().div_(255)  # (B*T, 3, h, w)
    if train and (crop or hflip):
        scale = torch.ones(b, device=x.device)
        if crop:
            scale.uniform_(0.8, 1.0)
        shift = (torch.rand(b, 2, device=x.device) * 2 - 1) * (1 - scale)[:, None]
        flip = torch.ones(b, device=x.device)
        if hflip:
            flip = torch.where(torch.rand(b, device=x.device) < 0.5, -1.0, 1.0)
        theta = torch.zeros(b, 2, 3, device=x.device)
        theta[:, 0, 0], theta[:, 1, 1] = scale * flip, scale
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta.repeat_interleave(t, 0), [b * t, 3, size, size], False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    elif x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    mean = torch.tensor(KINETICS_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(KINETICS_STD, device=x.device).view(1, 3, 1, 1)
    x = (x - mean) / std
    return x.view(b, t, 3, size, size).transpose(1, 2).contiguous()
