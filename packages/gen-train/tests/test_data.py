"""Captioned images: the synthetic twin, the CLIP tokenizer it needs, decoding, augmentation.

uv run --package gen-train pytest packages/gen-train/tests/test_data.py
"""

from __future__ import annotations

import pytest
import torch
from gen_train.config import Config, smoke_config
from gen_train.data import (
    BACKGROUNDS,
    COLOURS,
    DataError,
    build_dataloaders,
    decode,
    load_naruto,
    prepare_batch,
    synthetic_captioned_images,
)
from gen_train.model import SMOKE_WORDS, build_tiny_pipeline
from PIL import Image
from wb_testing.fixtures import no_backoff


def test_synthetic_captions_say_what_the_image_shows():
    """Every pixel is the caption's background or the caption's colour, and both are there."""
    images, captions = synthetic_captioned_images(64, size=32, seed=1)
    assert images.dtype == torch.uint8 and images.shape == (64, 3, 32, 32)
    for image, caption in zip(images, captions, strict=True):
        _, colour, shape, _, background = caption.split()
        pixels = {tuple(p) for p in image.flatten(1).T.tolist()}
        assert pixels == {BACKGROUNDS[background], COLOURS[colour]}, caption
        assert shape in ("circle", "square", "triangle", "cross")
    assert torch.equal(images, synthetic_captioned_images(64, size=32, seed=1)[0])
    assert len(set(captions)) > 10


def test_tiny_tokenizer_reads_smoke_words_as_single_tokens(tmp_path):
    tokenizer = build_tiny_pipeline(tmp_path).tokenizer
    ids = tokenizer("a red circle on white").input_ids
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert len(ids) == 2 + 5  # one token a word
    assert tokenizer.decode(ids, skip_special_tokens=True) == "a red circle on white"
    assert len(tokenizer("zebra!").input_ids) > 3  # unknown words still encode, byte by byte
    assert {"naruto", "village"} <= set(SMOKE_WORDS)


def test_loader_batches_images_with_token_ids(tmp_path):
    cfg = smoke_config(Config(output_dir=tmp_path))
    train_loader, val_loader = build_dataloaders(cfg, build_tiny_pipeline(tmp_path).tokenizer)
    images, input_ids = next(iter(train_loader))
    assert images.shape == (8, 3, 32, 32) and images.dtype == torch.uint8
    assert input_ids.shape == (8, 77) and input_ids.dtype == torch.int64
    assert (len(train_loader.dataset), len(val_loader.dataset)) == (256, 8)
    assert len(train_loader.dataset.captions) == 256  # kept for the preview table


def test_decode_resizes_the_short_side_and_centre_crops():
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (100, 0, 200, 100))  # red centre third
    out = decode(image, 64)
    assert out.shape == (3, 64, 64) and out.dtype == torch.uint8
    assert out[0, 32, 32] > 200 and out[2, 32, 32] < 50  # the centre is what stayed


def test_prepare_batch_scales_to_minus_one_one_and_flips_about_half():
    torch.manual_seed(0)
    images = torch.zeros((400, 3, 8, 8), dtype=torch.uint8)
    images[..., :4] = 255  # bright left half
    out = prepare_batch(images, train=True)
    assert out.min().item() == -1.0 and out.max().item() == 1.0
    left_brighter = out[:, 0, :, :2].mean((1, 2)) > out[:, 0, :, -2:].mean((1, 2))
    assert 0.35 < left_brighter.float().mean().item() < 0.65
    assert torch.equal(prepare_batch(images, train=False)[:, :, :, :4], torch.ones(400, 3, 8, 4))


def test_naruto_offline_names_the_smoke_flag(offline_wandb, empty_hf_cache, monkeypatch):
    """The real Hub download with HF_HUB_OFFLINE=1 and an empty cache: one sentence, at once
    (no retry's backoff)."""
    no_backoff(monkeypatch)
    with pytest.raises(DataError, match=r"naruto-blip-captions .*not reachable: use --smoke"):
        load_naruto(64, max_samples=4)


def test_naruto_loader_reads_a_hub_snapshot(tmp_path, monkeypatch):
    """The real load path (datasets on a snapshot folder, decode, captions) on a 3-row parquet
    laid out like lambdalabs/naruto-blip-captions: data/train-*.parquet, columns image, text."""
    import datasets
    import huggingface_hub

    rows = {
        "image": [Image.new("RGB", (96, 64), colour) for colour in ("red", "green", "blue")],
        "text": ["a man with red hair", "a green frog", "a blue sky"],
    }
    snapshot = tmp_path / "snapshot"
    (snapshot / "data").mkdir(parents=True)
    ds = datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())
    ds.to_parquet(snapshot / "data" / "train-00000-of-00001.parquet")
    monkeypatch.setattr("gen_train.data.hub_reachable", lambda: True)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: str(snapshot))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "datasets-cache"))

    images, captions = load_naruto(32, max_samples=2)
    assert captions == rows["text"][:2]
    assert images.shape == (2, 3, 32, 32) and images.dtype == torch.uint8
    assert images[0, :, 16, 16].tolist() == [255, 0, 0]
