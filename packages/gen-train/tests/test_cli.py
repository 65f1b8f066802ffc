"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

uv run --package gen-train pytest packages/gen-train/tests/test_cli.py
"""

from __future__ import annotations

import re
import sys
import time

import pytest
from gen_train.cli import sweep_main, train_main
from wb_testing.fixtures import assert_second_run_refused, plant_run

HANGUL = re.compile("[가-힣]")


def run_cli(monkeypatch, main, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["gen-train", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


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
    code = run_cli(monkeypatch, train_main, *args, "--output-dir", str(offline_wandb.parent / "o"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("gen-train: ") and HANGUL.search(err.split(" — ")[0]), err
    assert message in err and err.count("\n") == 1, err
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created


def test_sd15_offline_names_the_smoke_flag_within_seconds(
    offline_wandb, empty_hf_cache, monkeypatch, capsys
):
    """The real from_pretrained of SD 1.5 with the Hub cut off (HF_HUB_OFFLINE, empty cache)."""
    start = time.monotonic()
    code = run_cli(monkeypatch, train_main, "--output-dir", str(offline_wandb.parent / "o"))
    err = capsys.readouterr().err
    assert code == 2
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5" in err and "--smoke" in err, err
    assert err.count("\n") == 1
    assert time.monotonic() - start < 30
    assert not (offline_wandb / "wandb").exists()


def test_unknown_dataset_is_refused_by_the_cli(offline_wandb, monkeypatch, capsys):
    code = run_cli(monkeypatch, train_main, "--dataset", "pokemon")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err  # one sentence, not tyro's box
    assert "--dataset got 'pokemon', expected one of" in err


def test_sweep_refuses_a_bad_base_config(offline_wandb, monkeypatch, capsys):
    code = run_cli(monkeypatch, sweep_main, "--smoke", "--config.lr", "0", "--count", "1")
    assert code == 2
    assert "lr must be a positive number" in capsys.readouterr().err


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


def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    offline_wandb, monkeypatch, capsys
):
    """Another run's checkpoint in --output-dir: one sentence naming --resume and --overwrite,
    before any work; every file of the old run keeps its bytes."""
    out = offline_wandb.parent / "out"
    before = plant_run(out, "checkpoint.pt", "lora/pytorch_lora_weights.safetensors")
    code = run_cli(monkeypatch, train_main, "--smoke", "--output-dir", str(out))
    assert code == 2
    assert_second_run_refused(capsys.readouterr().err, out, before)
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created
