"""The trimap mapping, the Oxford loader on torchvision's folder layout, the synthetic twin and
the on-device augmentation.

    uv run --package seg-train pytest packages/seg-train/tests/test_data.py
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from seg_train.config import Config, ConfigError, check_config
from seg_train.data import (
    CLASS_MAPPINGS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    DataError,
    get_mapping,
    load_oxford_pet,
    prepare_batch,
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


def test_missing_dataset_offline_says_use_smoke(offline_wandb, tmp_path):
    with pytest.raises(DataError) as err:
        load_oxford_pet(tmp_path / "data", "trainval", 64)
    message = str(err.value)
    assert message.startswith("Oxford-IIIT Pet을 내려받지 못했습니다 — ")  # Korean, then English
    assert "could not be downloaded" in message and "--smoke" in message
    assert "\n" not in message and message.count(". ") == 0  # one sentence


def _fake_oxford(root, ids):
    """torchvision's OxfordIIITPet layout with tiny files: images/, annotations/trimaps/, lists."""
    base = root / "oxford-iiit-pet"
    (base / "images").mkdir(parents=True)
    (base / "annotations" / "trimaps").mkdir(parents=True)
    for image_id in ids:
        photo = np.zeros((60, 80, 3), dtype=np.uint8)
        photo[:, :40] = (200, 30, 30)  # left half: the pet, in red
        Image.fromarray(photo).save(base / "images" / f"{image_id}.jpg")
        trimap = np.full((60, 80), 2, dtype=np.uint8)
        trimap[:, :40] = 1
        trimap[:, 38:42] = 3
        Image.fromarray(trimap).save(base / "annotations" / "trimaps" / f"{image_id}.png")
    lines = "".join(f"{image_id} 1 1 1\n" for image_id in ids)
    for split in ("trainval", "test"):
        (base / "annotations" / f"{split}.txt").write_text(lines)
    return base


def test_oxford_loader_decodes_once_and_caches(tmp_path):
    base = _fake_oxford(tmp_path, ["Abyssinian_1", "Abyssinian_2", "beagle_3"])
    images, trimaps = load_oxford_pet(tmp_path, "trainval", 32)
    assert images.shape == (3, 3, 32, 32) and images.dtype == torch.uint8
    assert trimaps.shape == (3, 32, 32) and set(trimaps.unique().tolist()) == {1, 2, 3}
    assert (trimaps[:, :, :14] == 1).all() and (trimaps[:, :, 18:] == 2).all()
    assert images[0, 0, 16, 4] > 150 and images[0, 0, 16, 28] < 50  # red pet on the left
    # The second call reads the cache: it no longer needs the JPEGs.
    for path in (base / "images").iterdir():
        path.unlink()
    cached_images, cached_trimaps = load_oxford_pet(tmp_path, "trainval", 32)
    assert torch.equal(cached_images, images) and torch.equal(cached_trimaps, trimaps)


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
