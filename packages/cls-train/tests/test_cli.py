"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

uv run --package cls-train pytest packages/cls-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from cls_train.cli import sweep_main, train_main


def run_cli(monkeypatch, main, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["cls-train", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-0.1"], "cls-train: lr must be a positive number, got -0.1.\n"),
        (["--epochs", "0"], "cls-train: epochs must be at least 1, got 0.\n"),
        (["--resume"], "cls-train: nothing to resume: no checkpoint.pt in "),
        (["--dataset", "imagefolder", "--data-dir", "missing"], "is not a folder"),
    ],
)
def test_user_errors_are_one_sentence_before_any_download(
    offline_wandb, monkeypatch, capsys, args, message
):
    data_dir = offline_wandb.parent / "data"
    code = run_cli(monkeypatch, train_main, "--data-dir", str(data_dir), *args,
                   "--output-dir", str(offline_wandb.parent / "out"))  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1, err
    assert not data_dir.exists()  # no CIFAR download was started
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created


def test_unknown_optimizer_is_refused_by_the_cli(offline_wandb, monkeypatch, capsys):
    code = run_cli(monkeypatch, train_main, "--optimizer", "rmsprop")
    err = " ".join(capsys.readouterr().err.split())  # tyro wraps its message in a box
    assert code == 2
    assert "invalid choice 'rmsprop'" in err and "'adam', 'sgd', 'adamw'" in err


def test_cifar_offline_names_the_smoke_flag(offline_wandb, monkeypatch, capsys):
    """The real torchvision download, with the network cut by an unreachable proxy."""
    code = run_cli(monkeypatch, train_main, "--data-dir", str(offline_wandb.parent / "data"))
    err = capsys.readouterr().err
    assert code == 2
    assert "CIFAR-10 could not be downloaded" in err and "--smoke" in err
    assert err.count("\n") == 1


def test_sweep_refuses_a_bad_base_config(offline_wandb, monkeypatch, capsys):
    code = run_cli(monkeypatch, sweep_main, "--smoke", "--config.lr", "0", "--count", "1")
    assert code == 2
    assert "lr must be a positive number" in capsys.readouterr().err
