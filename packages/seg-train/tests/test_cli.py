"""Bad input ends in one clear sentence (Korean, then English), before anything is recorded.

What every train CLI shares is tested once (wb-common's test_entry.py, tests/test_cli_help.py);
here, seg-train's own rules.

uv run --package seg-train pytest packages/seg-train/tests/test_cli.py
"""

from __future__ import annotations

import pytest
from seg_train.cli import train_main
from wb_testing.fixtures import refused


def test_cli_ends_with_one_sentence_when_the_dataset_is_missing(
    offline_wandb, tmp_path, monkeypatch, capsys
):
    err = refused(monkeypatch, capsys, train_main, "--data-dir", str(tmp_path / "data"))
    assert err.startswith(
        "seg-train: Oxford-IIIT Pet을 내려받지 못했습니다 — Oxford-IIIT Pet could not be downloaded"
    )
    assert "--smoke" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--img-size", "16"],
            "seg-train: img_size은(는) 32 이상이어야 합니다 — "
            "img_size must be at least 32, got 16.\n",
        ),
        (
            ["--img-size", "100000"],
            "seg-train: img_size은(는) 2048 이하여야 합니다 — "
            "img_size must be at most 2048, got 100000.\n",
        ),
        (
            ["--resume"],
            "seg-train: 이어서 학습할 체크포인트가 없습니다 — nothing to resume: no checkpoint.pt",
        ),
    ],
)
def test_user_errors_are_one_sentence_before_any_download(
    offline_wandb, monkeypatch, capsys, args, message
):
    data_dir = offline_wandb.parent / "data"
    out = offline_wandb.parent / "out"
    argv = ["--data-dir", str(data_dir), "--output-dir", str(out), *args]
    assert refused(monkeypatch, capsys, train_main, *argv).startswith(message)
    assert not data_dir.exists()  # no Oxford-IIIT Pet download was started
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created
