"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

What every train CLI shares is tested once (wb-common's test_entry.py, tests/test_cli_help.py,
which also plants llm-train's own checkpoint, the Trainer's); here, llm-train's own rules.

uv run --package llm-train pytest packages/llm-train/tests/test_cli.py
"""

from __future__ import annotations

import pytest
from llm_train.cli import train_main
from wb_testing.fixtures import refused


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
    err = refused(monkeypatch, capsys, train_main, *args, "--output-dir", str(out))
    assert err.startswith("llm-train: ") and message in err
    assert not (offline_hub / "wandb").exists()  # no W&B run was created


def test_offline_error_names_the_smoke_flag(offline_hub, monkeypatch, capsys):
    out = offline_hub.parent / "out"
    assert "use --smoke" in refused(monkeypatch, capsys, train_main, "--output-dir", str(out))
