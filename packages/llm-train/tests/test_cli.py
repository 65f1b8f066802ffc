"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

uv run --package llm-train pytest packages/llm-train/tests/test_cli.py
"""

from __future__ import annotations

import re
import sys

import pytest
from llm_train.cli import sweep_main, train_main
from wb_testing.fixtures import assert_second_run_refused, plant_run

HANGUL = re.compile("[가-힣]")


def run_cli(monkeypatch, main, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["llm-train", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-0.1"], " — lr must be a positive number, got -0.1.\n"),
        (["--lora-r", "0"], " — lora_r must be at least 1, got 0.\n"),
        (["--max-seq-len", "100000"], " — max_seq_len must be at most 32768, got 100000.\n"),
        (["--resume"], " — nothing to resume: no checkpoint-<step> folder in "),
        ([], " — Qwen/Qwen3-4B could not be loaded from the Hugging Face Hub"),
    ],
)
def test_user_errors_are_one_sentence(offline_hub, monkeypatch, capsys, args, message):
    """Korean first, then the English sentence, on one line after the program name."""
    out = offline_hub.parent / "out"
    code = run_cli(monkeypatch, train_main, *args, "--output-dir", str(out))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("llm-train: ") and HANGUL.search(err.split(" — ")[0]), err
    assert message in err and err.count("\n") == 1, err
    assert not (offline_hub / "wandb").exists()  # no W&B run was created


def test_offline_error_names_the_smoke_flag(offline_hub, monkeypatch, capsys):
    code = run_cli(monkeypatch, train_main, "--output-dir", str(offline_hub.parent / "out"))
    assert code == 2 and "use --smoke" in capsys.readouterr().err


def test_sweep_refuses_a_bad_base_config(offline_hub, monkeypatch, capsys):
    code = run_cli(monkeypatch, sweep_main, "--smoke", "--config.lr", "0", "--count", "1")
    assert code == 2
    assert "lr must be a positive number" in capsys.readouterr().err


def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    offline_hub, monkeypatch, capsys
):
    """Another run's checkpoint in --output-dir: one sentence naming --resume and --overwrite,
    before any work; every file of the old run keeps its bytes."""
    out = offline_hub.parent / "out"
    before = plant_run(out, "checkpoints/checkpoint-4/trainer_state.json", "wandb_run.json")
    code = run_cli(monkeypatch, train_main, "--smoke", "--output-dir", str(out))
    assert code == 2
    assert_second_run_refused(capsys.readouterr().err, out, before)
    assert not (offline_hub / "wandb").exists()  # no W&B run was created
