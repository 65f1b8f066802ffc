"""Data for the detection demo, always a YOLO-format folder plus a yaml with an absolute `path:`.

- coco128: Ultralytics' first 128 COCO train2017 images, 80 classes (7 MB download).
- voc: PASCAL VOC 2007+2012, 20 classes, converted from XML by Ultralytics' own VOC.yaml script.
- synthetic: the `--smoke` twin, generated here: circles, squares and triangles, each class in its
  own colour, one to three per image on a noisy background. Learnable, no network.

Every source lands under `data_dir` (never in Ultralytics' global datasets folder): the images and
labels in `data_dir/<name>/`, which the dataset artifact versions, and `data_dir/<name>.yaml` beside
it, whose `path:` must be absolute and so differs per machine. Ultralytics writes
`labels/*.cache` next to the labels: the folder must be writable.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw
from wb_common.colab import server_unreachable  # a URL asked once, through the proxy

from det_train.config import Config

COCO128_URL = "https://github.com/ultralytics/assets/releases/download/v0.0.0/coco128.zip"
VOC_URL = (
    "https://github.com/ultralytics/assets/releases/download/v0.0.0/VOCtrainval_06-Nov-2007.zip"
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

SYNTHETIC_CLASSES = ["circle", "square", "triangle"]
_SYNTHETIC_COLOURS = [(230, 60, 50), (60, 170, 240), (250, 210, 40)]  # red, blue, yellow
SYNTHETIC_TRAIN_IMAGES = 48
SYNTHETIC_VAL_IMAGES = 16
SYNTHETIC_SIZE = 96  # pixels; Ultralytics resizes to imgsz


class DataError(RuntimeError):
    """The dataset is missing or unreadable; the message says what to do instead."""


@dataclass(frozen=True)
class DetectionData:
    """A YOLO-format dataset on disk: what `YOLO.train(data=...)` needs, and what we log."""

    yaml_path: Path  # <name>.yaml with an absolute `path:`, what YOLO.train(data=...) reads
    root: Path  # images/ and labels/: the folder the dataset artifact versions
    class_names: list[str]  # index = class id
    train_images: list[Path]
    val_images: list[Path]


@dataclass(frozen=True)
class Box:
    class_id: int
    xyxy: tuple[float, float, float, float]  # pixels: min x, min y, max x, max y


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def label_path(image: Path) -> Path:
    """YOLO's convention: .../images/<split>/x.jpg -> .../labels/<split>/x.txt."""
    parts = list(image.parts)
    index = len(parts) - 1 - parts[::-1].index("images")  # the last `images` in the path
    parts[index] = "labels"
    return Path(*parts).with_suffix(".txt")


def read_boxes(image: Path, width: int, height: int) -> list[Box]:
    """The ground-truth boxes of one image, from its YOLO label file, in pixels."""
    path = label_path(image)
    if not path.is_file():
        return []
    boxes = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        class_id, cx, cy, w, h = line.split()[:5]
        cx, cy, w, h = float(cx) * width, float(cy) * height, float(w) * width, float(h) * height
        boxes.append(Box(int(class_id), (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    return boxes


def _write_yaml(
    path: Path, root: Path, train: str | list[str], val: str | list[str], names
) -> None:
    content = {"path": str(root.resolve()), "train": train, "val": val, "names": names}
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")


# --- synthetic ------------------------------------------------------------------------------


def _draw_shape(draw: ImageDraw.ImageDraw, class_id: int, box, colour) -> None:
    x1, y1, x2, y2 = box
    if class_id == 0:
        draw.ellipse(box, fill=colour)
    elif class_id == 1:
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([((x1 + x2) / 2, y1), (x2, y2), (x1, y2)], fill=colour)


def _synthetic_image(rng: np.random.Generator, size: int) -> tuple[Image.Image, list[str]]:
    pixels = rng.integers(40, 150, (size, size, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    labels: list[str] = []
    placed: list[tuple[float, float, float, float]] = []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):  # find a spot that does not overlap the shapes already drawn
            side = float(rng.uniform(0.22, 0.4)) * size
            x1, y1 = rng.uniform(0, size - side, 2)
            box = (float(x1), float(y1), float(x1 + side), float(y1 + side))
            if all(
                box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in placed
            ):
                break
        else:
            continue
        class_id = int(rng.integers(len(SYNTHETIC_CLASSES)))
        jitter = rng.integers(-25, 26, 3)
        colour = tuple(
            int(c) for c in np.clip(np.array(_SYNTHETIC_COLOURS[class_id]) + jitter, 0, 255)
        )
        _draw_shape(draw, class_id, box, colour)
        placed.append(box)
        cx, cy = (box[0] + box[2]) / 2 / size, (box[1] + box[3]) / 2 / size
        labels.append(f"{class_id} {cx:.6f} {cy:.6f} {side / size:.6f} {side / size:.6f}")
    return image, labels


def write_synthetic_dataset(
    root: Path,
    n_train: int = SYNTHETIC_TRAIN_IMAGES,
    n_val: int = SYNTHETIC_VAL_IMAGES,
    size: int = SYNTHETIC_SIZE,
    seed: int = 0,
) -> Path:
    """Generate the shapes dataset in YOLO format under `root`; returns `<root>.yaml`.

    Deterministic for a seed, so a second call rewrites identical files (same artifact digest).
    """
    rng = np.random.default_rng(seed)
    for split, count in (("train", n_train), ("val", n_val)):
        for sub in ("images", "labels"):
            shutil.rmtree(root / sub / split, ignore_errors=True)  # also drops Ultralytics' cache
            (root / sub / split).mkdir(parents=True)
        for i in range(count):
            image, labels = _synthetic_image(rng, size)
            image.save(root / "images" / split / f"{split}_{i:04d}.png")
            (root / "labels" / split / f"{split}_{i:04d}.txt").write_text("\n".join(labels) + "\n")
    yaml_path = root.with_suffix(".yaml")
    _write_yaml(yaml_path, root, "images/train", "images/val", list(SYNTHETIC_CLASSES))
    return yaml_path


# --- COCO128 and VOC ------------------------------------------------------------------------


def _ultralytics_dataset_yaml(name: str) -> dict:
    from ultralytics.utils import ROOT

    return yaml.safe_load((ROOT / "cfg" / "datasets" / name).read_text(encoding="utf-8"))


def coco128_missing(data_dir: Path, why: str) -> DataError:
    return DataError(
        "COCO128을 내려받지 못했습니다 — "
        f"COCO128 could not be downloaded to {data_dir} ({why}): "
        "use --smoke for the built-in synthetic dataset, or unzip coco128.zip there."
    )


def download_coco128(data_dir: Path) -> Path:
    """COCO128 from Ultralytics' GitHub release into `data_dir/coco128`; returns its yaml."""
    from ultralytics.utils.downloads import safe_download

    root = data_dir / "coco128"
    if not (root / "images" / "train2017").is_dir():
        # One try first: where DNS answers but nothing else does (a corporate network),
        # Ultralytics counts itself online and retries with 35 s of backoff before failing.
        if why := server_unreachable(COCO128_URL, timeout=5):
            raise coco128_missing(data_dir, why)
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            safe_download(COCO128_URL, dir=data_dir, unzip=True, delete=True)
        except Exception as err:  # ConnectionError offline, a truncated zip, a full disk
            raise coco128_missing(data_dir, type(err).__name__) from None
    # COCO128 validates on its training images: it is a demo of the pipeline, not a benchmark.
    names = _ultralytics_dataset_yaml("coco128.yaml")["names"]
    yaml_path = data_dir / "coco128.yaml"
    _write_yaml(yaml_path, root, "images/train2017", "images/train2017", names)
    return yaml_path


def voc_missing(root: Path, why: str) -> DataError:
    return DataError(
        "PASCAL VOC를 내려받지 못했습니다 — "
        f"PASCAL VOC could not be downloaded to {root} ({why}): "
        "use --smoke for the built-in synthetic dataset, or --dataset coco128 (7 MB)."
    )


def download_voc(data_dir: Path) -> Path:
    """PASCAL VOC via Ultralytics' VOC.yaml (download + XML -> YOLO), into `data_dir/VOC`."""
    from ultralytics.data.utils import check_det_dataset

    spec = _ultralytics_dataset_yaml("VOC.yaml")
    root = (data_dir / "VOC").resolve()
    spec["path"] = str(root)
    data_dir.mkdir(parents=True, exist_ok=True)
    yaml_path = data_dir / "VOC.yaml"  # the download script reads `path` from it
    yaml_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    # One try first, as for COCO128, and only when VOC is not on disk yet (then nothing downloads).
    if not (root / "images").is_dir() and (why := server_unreachable(VOC_URL, timeout=5)):
        raise voc_missing(root, why)
    try:
        check_det_dataset(str(yaml_path))
    except Exception as err:
        raise voc_missing(root, type(err).__name__) from None
    return yaml_path


def build_datasets(cfg: Config) -> DetectionData:
    """The configured dataset on disk in YOLO format, downloading or generating it once."""
    if cfg.dataset == "synthetic":
        yaml_path = write_synthetic_dataset(cfg.data_dir / "synthetic-shapes", seed=cfg.seed)
    elif cfg.dataset == "coco128":
        yaml_path = download_coco128(cfg.data_dir)
    else:
        yaml_path = download_voc(cfg.data_dir)
    spec = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    root = Path(spec["path"])
    names = spec["names"]
    class_names = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)

    def images(split: str | list[str]) -> list[Path]:
        folders = split if isinstance(split, list) else [split]
        return [image for folder in folders for image in list_images(root / folder)]

    train_images, val_images = images(spec["train"]), images(spec["val"])
    if not train_images or not val_images:
        raise DataError(
            "데이터셋에 이미지가 없습니다 — "
            f"{yaml_path} lists no images ({len(train_images)} train, {len(val_images)} val): "
            "delete the folder to download it again, or use --smoke."
        )
    return DetectionData(yaml_path, root, class_names, train_images, val_images)
