"""Data for the segmentation demo: Oxford-IIIT Pet trimaps, or a generated twin for `--smoke`.

Oxford-IIIT Pet comes in two pieces, so a demo fetches only the photos it uses: the photos from
the Hugging Face Hub's parquet copy (`timm/oxford-iiit-pet`: `image` bytes and the original
`image_id`, its `train`/`test` splits being Oxford's trainval/test), read by row group over HTTP
range requests, and the trimaps from Oxford's own annotations.tar.gz (19 MB, every trimap).
`download_train`/`download_val` photos cost about their share of the 378/413 MB parquet files.

Colab gives two vCPUs, and per-sample PIL transforms of an image *and* its mask, every epoch, put
all the input work on them. So each source is decoded and resized once into uint8 tensors
(images `(N, 3, S, S)`, trimaps `(N, S, S)`), cached on disk, and batches are sliced out of
memory without a per-sample Python step; augmentation and normalisation run on whole batches on
the training device (`prepare_batch`), the mask through the same geometric transform as its image.
`bench/seg_input_pipeline.py` measures the gain.
"""

from __future__ import annotations

import io
import math
import os
import random
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

OXFORD_FOLDER = "oxford-iiit-pet"  # data_dir/<this>: the annotations archive; <this>-<n>px: tensors
SPLITS = ("trainval", "test")  # Oxford's own split: 3680 training, 3669 test images
# The fixed choice of row groups (photos) a subset is made of: the same for every run and trial,
# so a sweep's trials reuse the demo run's decoded tensors (and its dataset artifact).
SUBSET_SEED = 0
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


@dataclass(frozen=True)
class OxfordSource:
    """Where Oxford-IIIT Pet is read from: photos as parquet (fsspec URLs, `{split}` filled in
    with the file's split name), trimaps as Oxford's annotations archive (URL and MD5)."""

    photos: str = "hf://datasets/timm/oxford-iiit-pet/data/{split}-00000-of-00001.parquet"
    photo_splits: tuple[tuple[str, str], ...] = (("trainval", "train"), ("test", "test"))
    # torchvision's OxfordIIITPet downloads this same file, with this MD5.
    trimaps: str = "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz"
    trimaps_md5: str | None = "95a8c909bbe2e81eed6a22bccdf3f68f"

    @property
    def on_the_hub(self) -> bool:
        return self.photos.startswith("hf://")

    def open_photos(self, split: str) -> BinaryIO:
        """The split's parquet file, opened for random access (only the parts read download)."""
        import fsspec

        url = self.photos.format(split=dict(self.photo_splits)[split])
        return fsspec.open(url, "rb").open()


OXFORD = OxfordSource()


def _offline_error(root: Path, err: Exception | str) -> DataError:
    reason = err if isinstance(err, str) else type(err).__name__
    return DataError(
        "Oxford-IIIT Pet을 내려받지 못했습니다 — "
        f"Oxford-IIIT Pet could not be downloaded to {root} ({reason}): use --smoke for the "
        "built-in synthetic dataset, or check the network."
    )


def _decode_pair(photo: bytes, trimap: bytes, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One Oxford photo and its trimap, decoded and resized once to `size` x `size`."""
    image = Image.open(io.BytesIO(photo))
    image.draft("RGB", (size, size))  # JPEG: decode at 1/2, 1/4 or 1/8 scale when that suffices
    # Bilinear (antialiased by PIL when shrinking) for the photo, nearest for the labels.
    image = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    labels = Image.open(io.BytesIO(trimap)).resize((size, size), Image.Resampling.NEAREST)
    return (
        torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1),
        torch.from_numpy(np.asarray(labels, dtype=np.uint8).copy()),
    )


def read_photos(
    source: OxfordSource, split: str, count: int | None
) -> tuple[list[str], list[bytes], int]:
    """(image ids, JPEG bytes, bytes fetched) of `count` photos of `split` (None: all).

    Whole row groups are the unit a parquet file is read in: a fixed, seeded choice of them,
    spread over the file, until `count` photos are in; then `count` of those, sorted by id.
    """
    import pyarrow.parquet as pq

    with source.open_photos(split) as file:
        parquet = pq.ParquetFile(file)
        names = set(parquet.schema_arrow.names)
        if not {"image", "image_id"} <= names:
            raise DataError(
                "사진 파일에 image, image_id 열이 없습니다 — "
                f"the photo file of split {split} has columns {sorted(names)}, not image and "
                "image_id: check OxfordSource.photos."
            )
        groups = list(range(parquet.num_row_groups))
        random.Random(SUBSET_SEED).shuffle(groups)
        picked, rows = [], 0
        for group in groups:
            if count is not None and rows >= count:
                break
            picked.append(group)
            rows += parquet.metadata.row_group(group).num_rows
        meta = parquet.metadata
        fetched = sum(
            meta.row_group(g).column(c).total_compressed_size
            for g in picked
            for c in range(meta.num_columns)
            if meta.schema.column(c).path.split(".")[0] in ("image", "image_id")
        )
        table = parquet.read_row_groups(sorted(picked), columns=["image_id", "image"])
    ids = table.column("image_id").to_pylist()
    photos = table.column("image").to_pylist()  # {"bytes": ..., "path": ...} per row
    order = list(range(len(ids)))
    random.Random(SUBSET_SEED).shuffle(order)
    keep = sorted(order[:count] if count is not None else order, key=lambda i: ids[i])
    return [ids[i] for i in keep], [photos[i]["bytes"] for i in keep], fetched


def annotations_archive(root: Path, source: OxfordSource) -> Path:
    """Oxford's annotations.tar.gz (every trimap, 19 MB) in `root/oxford-iiit-pet`, once."""
    from torchvision.datasets.utils import check_integrity, download_url

    folder = root / OXFORD_FOLDER
    archive = folder / "annotations.tar.gz"
    if not check_integrity(str(archive), source.trimaps_md5):
        try:
            download_url(source.trimaps, str(folder), archive.name, source.trimaps_md5)
        except Exception as err:  # URLError, socket timeouts, a wrong MD5
            raise _offline_error(folder, err) from None
    return archive


def read_trimaps(archive: Path, ids: list[str]) -> dict[str, bytes]:
    """The PNG bytes of the trimaps of `ids` (only those are kept from the archive)."""
    wanted = {f"annotations/trimaps/{image_id}.png": image_id for image_id in ids}
    found = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            image_id = wanted.get(member.name)
            if image_id is not None and member.isfile():
                found[image_id] = tar.extractfile(member).read()
    missing = sorted(set(ids) - set(found))
    if missing:
        raise DataError(
            "trimap이 없는 사진이 있습니다 — "
            f"{len(missing)} photos have no trimap in {archive} (e.g. {missing[0]}): delete the "
            "archive to download it again, or use --smoke."
        )
    return found


def load_oxford_pet(
    root: Path,
    split: str,
    size: int,
    count: int | None = None,
    *,
    cache_dir: Path | None = None,
    source: OxfordSource | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` photos of Oxford-IIIT Pet's `split` (None: all) and their raw trimaps.

    Fetches only those photos (and the 19 MB trimap archive into `root`, once), decodes only
    those, and caches the tensors in `cache_dir/<split>.pt` (default: `root/oxford-iiit-pet-
    <size>px`; `raw_data_dir` names one per subset): decoded once per image size and subset,
    not once per epoch, run or sweep trial.
    """
    cache = (cache_dir or root / f"{OXFORD_FOLDER}-{size}px") / f"{split}.pt"
    if cache.is_file():
        data = torch.load(cache, weights_only=True)
        return data["images"], data["trimaps"]
    source = source or OXFORD
    if source.on_the_hub:
        from wb_common.hub import hub_reachable

        if not hub_reachable():  # at once, not after huggingface_hub's retries
            raise _offline_error(root, "the Hugging Face Hub is unreachable")
    archive = annotations_archive(root, source)
    try:
        ids, photos, fetched = read_photos(source, split, count)
    except DataError:
        raise
    except Exception as err:  # connection errors, a missing or broken parquet file
        raise _offline_error(root, err) from None
    trimaps = read_trimaps(archive, ids)
    print(
        f"[seg-train] Oxford-IIIT Pet {split}: 사진 {len(ids)}장, {fetched / 1e6:.0f}MB 받음 — "
        f"{len(ids)} photos, {fetched / 1e6:.0f} MB fetched"
    )
    # Decoding is the slow part: threads, since PIL releases the GIL while it decodes.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        jobs = [pool.submit(_decode_pair, photos[i], trimaps[k], size) for i, k in enumerate(ids)]
    try:
        pairs = [job.result() for job in jobs]
    except (OSError, ValueError, Image.DecompressionBombError) as err:  # a truncated file
        raise DataError(
            "Oxford-IIIT Pet 파일이 불완전합니다 — "
            f"an Oxford-IIIT Pet photo or trimap could not be decoded ({err}): delete "
            f"{root / OXFORD_FOLDER} to download again, or use --smoke."
        ) from None
    images = torch.stack([image for image, _ in pairs])
    labels = torch.stack([trimap for _, trimap in pairs])
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    torch.save({"images": images, "trimaps": labels}, tmp)
    os.replace(tmp, cache)  # a run killed mid-write must not leave a broken cache behind
    return images, labels


def raw_data_dir(cfg: Config) -> Path:
    """Where the decoded tensors of this source, size and subset live: what the dataset artifact
    holds (the demo's 500 + 200 photos at 128 px: 46 MB; all 7,349: 480 MB)."""
    if cfg.dataset == "synthetic":
        return cfg.output_dir / f"synthetic-pets-{cfg.img_size}px"
    folder = f"{OXFORD_FOLDER}-{cfg.img_size}px"
    if cfg.download_train is not None or cfg.download_val is not None:
        folder += f"-{cfg.download_train or 'all'}+{cfg.download_val or 'all'}"
    return cfg.data_dir / folder


def load_raw(cfg: Config) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """{split: (images, trimaps)} at `cfg.img_size`, from Oxford or freshly generated and saved."""
    if cfg.dataset == "oxford-pet":
        counts = {"trainval": cfg.download_train, "test": cfg.download_val}
        return {
            split: load_oxford_pet(
                cfg.data_dir, split, cfg.img_size, counts[split], cache_dir=raw_data_dir(cfg)
            )
            for split in SPLITS
        }
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
        val,
        batch_size=cfg.batch_size * 2,
        shuffle=False,
        collate_fn=_whole_batch,
        pin_memory=torch.cuda.is_available(),
    )
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
        images = images[
            batch[:, None],
            torch.arange(3, device=device)[None, :, None, None],
            rows[:, None, :, None],
            cols[:, None, None, :],
        ]
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
