"""The input pipeline: decoded uint8 tensors, batched by indexing, augmented on the device.

uv run --package cls-train pytest packages/cls-train/tests/test_data.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from cls_train.config import Config, smoke_config
from cls_train.data import (
    IMAGENET_MEAN,
    SYNTHETIC_CLASSES,
    DataError,
    build_dataloaders,
    prepare_batch,
    synthetic_images,
)
from PIL import Image


def test_synthetic_twin_is_balanced_and_deterministic():
    data = synthetic_images(500, seed=3)
    assert data.images.dtype == torch.uint8 and data.images.shape == (500, 3, 32, 32)
    assert len(data.class_names) == 10 == len(set(SYNTHETIC_CLASSES))
    assert torch.bincount(data.labels, minlength=10).min() > 25
    assert torch.equal(data.images, synthetic_images(500, seed=3).images)


def test_synthetic_classes_differ_in_what_the_model_can_see():
    """Class means differ: a model can learn them (catches a label/image mix-up)."""
    data = synthetic_images(1000)
    means = torch.stack([data.images[data.labels == c].float().mean(0) for c in range(10)])
    distances = torch.cdist(means.flatten(1), means.flatten(1))
    assert distances[~torch.eye(10, dtype=torch.bool)].min() > 1.0


def test_loader_yields_whole_batches_of_uint8():
    train_loader, val_loader, class_names = build_dataloaders(smoke_config(Config()))
    images, labels = next(iter(train_loader))
    assert images.shape == (64, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.shape == (64,) and labels.dtype == torch.int64
    assert sum(len(batch[1]) for batch in val_loader) == 256
    assert class_names == SYNTHETIC_CLASSES


@pytest.mark.parametrize("train", [True, False])
def test_prepare_batch_resizes_and_normalises(train):
    images = torch.full((4, 3, 32, 32), 255, dtype=torch.uint8)
    images[:, :, :, :16] = 0  # left half black: a flip would move it
    out = prepare_batch(images, 64, train=train)
    assert out.shape == (4, 3, 64, 64) and out.dtype == torch.float32
    assert out.is_contiguous(memory_format=torch.channels_last)
    white = (1 - IMAGENET_MEAN[0]) / 0.229
    assert out[:, 0].max().item() == pytest.approx(white, abs=1e-3)
    if not train:  # deterministic: the left half stays black
        assert out[:, 0, :, :8].mean().item() == pytest.approx(-IMAGENET_MEAN[0] / 0.229, abs=1e-3)


def test_prepare_batch_flips_about_half_of_the_images():
    torch.manual_seed(0)
    images = torch.zeros((400, 3, 16, 16), dtype=torch.uint8)
    images[..., :8] = 255  # bright left half
    out = prepare_batch(images, 16, train=True)
    left_brighter = out[:, 0, :, :4].mean((1, 2)) > out[:, 0, :, -4:].mean((1, 2))
    assert 0.35 < left_brighter.float().mean().item() < 0.65


def write_images(root, per_class=3):
    for name, colour in (("cats", (200, 30, 30)), ("dogs", (30, 30, 200))):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((40 + i, 50, 3), colour, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_imagefolder_reads_your_own_images(tmp_path, capsys):
    """Unreadable files (text named .jpg, zero bytes, cut short) are counted in one line, Korean
    first; before, each one was a raw `UserWarning` in English."""
    write_images(tmp_path / "pets", per_class=5)
    (tmp_path / "pets" / "dogs" / "broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "pets" / "cats" / "empty.png").write_bytes(b"")
    good = (tmp_path / "pets" / "cats" / "0.png").read_bytes()
    (tmp_path / "pets" / "cats" / "cut.png").write_bytes(good[: len(good) // 2])
    cfg = Config(dataset="imagefolder", data_dir=tmp_path / "pets", img_size=24, batch_size=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_loader, val_loader, class_names = build_dataloaders(cfg)
    assert class_names == ["cats", "dogs"]
    assert not [w for w in caught if issubclass(w.category, UserWarning)]
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("읽을 수 없는 이미지 3개를 건너뜁니다 — skipped 3 unreadable image(s)")
    assert "broken.jpg" in line and "empty.png" in line
    assert len(train_loader.dataset) + len(val_loader.dataset) == 10
    assert train_loader.dataset.images.shape[1:] == (3, 24, 24)


def test_imagefolder_uses_train_and_val_folders_when_present(tmp_path):
    write_images(tmp_path / "d" / "train", per_class=4)
    write_images(tmp_path / "d" / "val", per_class=2)
    cfg = Config(dataset="imagefolder", data_dir=tmp_path / "d", img_size=16)
    train_loader, val_loader, _ = build_dataloaders(cfg)
    assert (len(train_loader.dataset), len(val_loader.dataset)) == (8, 4)


def test_imagefolder_with_one_class_says_what_it_needs(tmp_path):
    (tmp_path / "only").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "only" / "a.png")
    with pytest.raises(DataError, match="at least two class folders"):
        build_dataloaders(Config(dataset="imagefolder", data_dir=tmp_path, img_size=8))
