"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

What every train CLI shares is tested once (wb-common's test_entry.py, tests/test_cli_help.py);
here, gen-train's own rules.

uv run --package gen-train pytest packages/gen-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from gen_train.cli import train_main
from wb_testing.fixtures import refused


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-0.1"], " — lr must be a positive number, got -0.1.\n"),
        (["--train-steps", "0"], " — train_steps must be at least 1, got 0.\n"),
        (["--resolution", "500"], " — resolution must be a multiple of 8"),
        (["--resolution", "100000"], " — resolution must be at most 1024, got 100000.\n"),
        (["--resume"], " — nothing to resume: no checkpoint.pt in "),
    ],
)
def test_user_errors_are_one_sentence_before_any_download(
    offline_wandb, monkeypatch, capsys, args, message
):
    """Korean first, then the English sentence, on one line after the program name."""
    out = offline_wandb.parent / "o"
    err = refused(monkeypatch, capsys, train_main, *args, "--output-dir", str(out))
    assert err.startswith("gen-train: ") and message in err
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created


def test_sd15_offline_names_the_smoke_flag(offline_wandb, empty_hf_cache, monkeypatch, capsys):
    """The real from_pretrained of SD 1.5 with the Hub cut off (HF_HUB_OFFLINE, empty cache):
    refused with the flag that works offline, before any W&B run starts."""
    err = refused(monkeypatch, capsys, train_main, "--output-dir", str(offline_wandb.parent / "o"))
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5" in err and "--smoke" in err, err
    assert not (offline_wandb / "wandb").exists()


def test_unknown_dataset_is_refused_by_the_cli(offline_wandb, monkeypatch, capsys):
    err = refused(monkeypatch, capsys, train_main, "--dataset", "pokemon")
    assert "--dataset got 'pokemon', expected one of" in err


def test_smoke_flag_reaches_train_as_the_smoke_config(monkeypatch):
    """`gen-train --smoke --lr 0.5`: the tiny pipeline and synthetic data, the user's lr kept."""
    import gen_train.train

    seen = []
    monkeypatch.setattr(gen_train.train, "train", seen.append)
    monkeypatch.setattr(sys, "argv", ["gen-train", "--smoke", "--lr", "0.5"])
    train_main()
    (cfg,) = seen
    assert (cfg.smoke, cfg.dataset, cfg.base_model) == (True, "synthetic", "gen-train/tiny-sd")
    assert (cfg.resolution, cfg.train_steps, cfg.lr) == (32, 30, 0.5)
