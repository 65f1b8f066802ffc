"""The trimap mapping, the Oxford loader on a local stand-in for its two sources (the Hub's
parquet photos, Oxford's trimap archive), the synthetic twin and the on-device augmentation.

    uv run --package seg-train pytest packages/seg-train/tests/test_data.py
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from PIL import Image
from seg_train.config import (
    DEMO_TRAIN_PHOTOS,
    DEMO_VAL_PHOTOS,
    Config,
    ConfigError,
    check_config,
    demo_config,
    demo_trial_config,
)
from seg_train.data import (
    CLASS_MAPPINGS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    DataError,
    OxfordSource,
    build_datasets,
    get_mapping,
    load_oxford_pet,
    prepare_batch,
    raw_data_dir,
    synthetic_pets,
    to_classes,
)


def test_the_trimap_mapping_is_the_one_written_down():
    trimap = CLASS_MAPPINGS["trimap"]
    names = {value: trimap.class_names[c] for value, c in trimap.trimap_to_class.items()}
    assert names == {1: "pet", 2: "background", 3: "border"}  # Oxford's 1 / 2 / 3
    binary = CLASS_MAPPINGS["binary"]
    names = {value: binary.class_names[c] for value, c in binary.trimap_to_class.items()}
    assert names == {1: "pet", 2: "background", 3: "pet"}


def test_to_classes_maps_every_pixel():
    trimaps = torch.tensor([[[1, 2], [3, 1]]], dtype=torch.uint8)
    data = to_classes(torch.zeros(1, 3, 2, 2, dtype=torch.uint8), trimaps, CLASS_MAPPINGS["trimap"])
    assert data.masks.tolist() == [[[0, 1], [2, 0]]]
    assert data.class_names == ["pet", "background", "border"]


def test_unknown_trimap_values_are_one_sentence():
    trimaps = torch.tensor([[[1, 2], [0, 7]]], dtype=torch.uint8)
    with pytest.raises(DataError, match=r"values \[0, 7\] that the mapping does not know"):
        to_classes(torch.zeros(1, 3, 2, 2, dtype=torch.uint8), trimaps, CLASS_MAPPINGS["trimap"])


def test_unknown_class_mapping_is_one_sentence():
    with pytest.raises(ConfigError, match="unknown class mapping 'fine': choose one of trimap"):
        check_config(Config(class_mapping="fine"))
    with pytest.raises(DataError, match="unknown class mapping 'fine'"):
        get_mapping("fine")


def test_missing_dataset_offline_says_use_smoke(offline_wandb, tmp_path, monkeypatch):
    """The real source (the Hub and Oxford) with no network: one sentence at once."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # what hub_reachable() says on a dead network
    with pytest.raises(DataError) as err:
        load_oxford_pet(tmp_path / "data", "trainval", 64, 500)
    message = str(err.value)
    assert message.startswith("Oxford-IIIT Pet을 내려받지 못했습니다 — ")  # Korean, then English
    assert "could not be downloaded" in message and "--smoke" in message
    assert "\n" not in message and message.count(". ") == 0  # one sentence
    assert not (tmp_path / "data" / "oxford-iiit-pet").exists()  # nothing half-written


class CountingSource(OxfordSource):
    """A local stand-in for the Hub's parquet files that counts the bytes read from them."""

    def __init__(self, photos: str):
        # No MD5: the archive the test wrote beside the cache is taken as it is.
        super().__init__(photos=photos, trimaps="(written by fake_oxford)", trimaps_md5=None)
        object.__setattr__(self, "bytes_read", {})

    def open_photos(self, split: str):
        file = super().open_photos(split)
        counts, read = self.bytes_read, file.read

        def counting_read(*args):
            data = read(*args)
            counts[split] = counts.get(split, 0) + len(data)
            return data

        file.read = counting_read
        return file


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    photo = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    photo[:, : size[0] // 2] = colour  # left half: the pet
    # Fur-like noise on top: JPEG bytes of real bulk, so the photos and not the parquet footer
    # are most of the file (as in the real one).
    noise = np.random.default_rng(sum(colour)).integers(0, 24, photo.shape, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo + noise).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _png_trimap(size: tuple[int, int]) -> bytes:
    trimap = np.full((size[1], size[0]), 2, dtype=np.uint8)
    trimap[:, : size[0] // 2] = 1
    band = size[0] // 20  # the border, a tenth of the width: it survives a resize to 32 px
    trimap[:, size[0] // 2 - band : size[0] // 2 + band] = 3
    buffer = io.BytesIO()
    Image.fromarray(trimap).save(buffer, format="PNG")
    return buffer.getvalue()


def fake_oxford(root: Path, rows: dict[str, int], group: int, size=(40, 30)) -> CountingSource:
    """The Hub copy's layout in small: {split}.parquet with `image` {bytes, path} and `image_id`
    columns in row groups of `group`, and Oxford's annotations.tar.gz with every trimap."""
    root.mkdir(parents=True, exist_ok=True)
    trimap = _png_trimap(size)
    archive = root / "data" / "oxford-iiit-pet" / "annotations.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:
        for split, n in rows.items():
            for i in range(n):
                info = tarfile.TarInfo(f"annotations/trimaps/{split}_{i:04d}.png")
                info.size = len(trimap)
                tar.addfile(info, io.BytesIO(trimap))
    for split, n in rows.items():
        ids = [f"{split}_{i:04d}" for i in range(n)]
        photos = [
            {"bytes": _jpeg((200, 30 + i % 50, 30), size), "path": f"{k}.jpg"}
            for i, k in enumerate(ids)
        ]
        table = pa.table({"image": photos, "image_id": ids, "label": [0] * n})
        pq.write_table(table, root / f"{split}.parquet", row_group_size=group)
    return CountingSource(str(root / "{split}.parquet"))


def test_oxford_loader_fetches_and_decodes_only_the_subset(tmp_path, monkeypatch):
    """12 photos of 60: two row groups of ten are read, 12 photos decoded, then the cache."""
    import seg_train.data as data

    source = fake_oxford(tmp_path / "hub", {"train": 60, "test": 20}, group=10, size=(160, 120))
    decoded = []
    real_decode = data._decode_pair
    monkeypatch.setattr(data, "_decode_pair", lambda *a: decoded.append(1) or real_decode(*a))
    root = tmp_path / "hub" / "data"
    images, trimaps = load_oxford_pet(root, "trainval", 32, 12, source=source)
    assert images.shape == (12, 3, 32, 32) and images.dtype == torch.uint8
    assert trimaps.shape == (12, 32, 32) and set(trimaps.unique().tolist()) == {1, 2, 3}
    assert (trimaps[:, :, :14] == 1).all() and (trimaps[:, :, 18:] == 2).all()
    assert images[0, 0, 16, 4] > 150 and images[0, 0, 16, 28] < 50  # red pet on the left
    assert len(decoded) == 12  # not the 20 photos of the two row groups, nor all 60
    parquet_size = (tmp_path / "hub" / "train.parquet").stat().st_size
    # 2 of the 6 row groups, and the footer (pyarrow reads its last 64 KiB at once).
    assert source.bytes_read["trainval"] < parquet_size / 2
    # The second call reads the cache: no parquet, no archive, no decoding.
    for path in (tmp_path / "hub").glob("*.parquet"):
        path.unlink()
    again = load_oxford_pet(root, "trainval", 32, 12, source=source)
    assert torch.equal(again[0], images) and torch.equal(again[1], trimaps)
    assert len(decoded) == 12


def test_a_source_without_the_columns_is_one_sentence(tmp_path):
    source = fake_oxford(tmp_path / "hub", {"train": 4, "test": 4}, group=2)
    pq.write_table(pa.table({"img": [b"x"]}), tmp_path / "hub" / "train.parquet")
    with pytest.raises(DataError, match="not image and image_id"):
        load_oxford_pet(tmp_path / "hub" / "data", "trainval", 32, 2, source=source)


def test_demo_dataset_artifact_is_under_50_mb(tmp_path, monkeypatch):
    """The demo run logs raw_data_dir(cfg) as its dataset artifact: the demo's photos at 128 px,
    under 50 MB; a live trial reads (and logs) the same folder, so nothing new is uploaded."""
    import seg_train.data as data

    source = fake_oxford(tmp_path / "hub", {"train": 520, "test": 210}, group=100, size=(16, 12))
    monkeypatch.setattr(data, "OXFORD", source)  # the source load_raw reads by default
    cfg = demo_config(Config(data_dir=tmp_path / "hub" / "data", output_dir=tmp_path / "out"))
    raw = data.load_raw(cfg)
    assert len(raw["trainval"][0]) == DEMO_TRAIN_PHOTOS and len(raw["test"][0]) == DEMO_VAL_PHOTOS
    folder = raw_data_dir(cfg)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert 0 < size <= 50e6, f"{size / 1e6:.1f} MB"
    assert raw_data_dir(demo_trial_config(cfg)) == folder
    train, _ = build_datasets(demo_trial_config(cfg))
    assert len(train) == 300  # the trial's 300 of the demo's 500


def test_synthetic_pets_look_like_oxford_trimaps():
    images, trimaps = synthetic_pets(64, size=48, seed=0)
    assert images.shape == (64, 3, 48, 48) and images.dtype == torch.uint8
    assert set(trimaps.unique().tolist()) == {1, 2, 3}
    shares = torch.bincount(trimaps.flatten().long(), minlength=4)[1:] / trimaps.numel()
    assert 0.1 < shares[0] < 0.4 and shares[1] > 0.5 and 0.02 < shares[2] < 0.2
    again, _ = synthetic_pets(64, size=48, seed=0)
    assert torch.equal(images, again)  # the same seed gives the same data


def test_augmentation_moves_each_mask_with_its_pixels():
    """The pet is painted red: after crop, zoom and flip, red pixels must still be labelled pet."""
    _, trimaps = synthetic_pets(16, size=48, seed=1)
    images = torch.zeros(16, 3, 48, 48, dtype=torch.uint8)
    masks = to_classes(images, trimaps, get_mapping("binary"))
    images[:, 0] = torch.where(masks.masks == 0, 255, 0).to(torch.uint8)
    torch.manual_seed(0)
    x, y = prepare_batch(images, masks.masks, 48, train=True)
    assert x.shape == (16, 3, 48, 48) and y.shape == (16, 48, 48) and y.dtype == torch.long
    red = x[:, 0] * IMAGENET_STD[0] + IMAGENET_MEAN[0]
    agree = ((red > 0.5) == (y == 0)).float().mean()
    assert agree > 0.97, f"only {agree:.3f} of the pixels kept their label"
    assert not torch.equal(y, masks.masks.long())  # something did move
    _, y_val = prepare_batch(images, masks.masks, 48, train=False)
    assert torch.equal(y_val, masks.masks.long())
