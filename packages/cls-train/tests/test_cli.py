"""Bad input ends in one clear sentence, before anything is downloaded or recorded.

What every train CLI shares (argument errors, a second run into the same folder, Ctrl-C) is
tested once in wb-common's test_entry.py and tests/test_cli_help.py; here, cls-train's own rules.

uv run --package cls-train pytest packages/cls-train/tests/test_cli.py
"""

from __future__ import annotations

import sys

import pytest
from cls_train.cli import sweep_main, train_main
from wb_testing.fixtures import refused


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--lr", "-0.1"],
            "cls-train: lr은(는) 양수여야 합니다 — lr must be a positive number, got -0.1.\n",
        ),
        (
            ["--epochs", "0"],
            "cls-train: epochs은(는) 1 이상이어야 합니다 — epochs must be at least 1, got 0.\n",
        ),
        (
            ["--img-size", "100000"],
            "cls-train: img_size은(는) 1024 이하여야 합니다 — "
            "img_size must be at most 1024, got 100000.\n",
        ),
        (
            ["--resume"],
            "cls-train: 이어서 학습할 체크포인트가 없습니다 — nothing to resume: no checkpoint.pt",
        ),
        (
            ["--dataset", "imagefolder", "--data-dir", "missing"],
            "cls-train: --data-dir가 폴더가 아닙니다 — --data-dir missing is not a folder",
        ),
    ],
)
def test_user_errors_are_one_sentence_before_any_download(
    offline_wandb, monkeypatch, capsys, args, message
):
    data_dir = offline_wandb.parent / "data"
    out = offline_wandb.parent / "out"
    argv = ["--data-dir", str(data_dir), *args, "--output-dir", str(out)]
    err = refused(monkeypatch, capsys, train_main, *argv)
    assert message in err
    assert not data_dir.exists()  # no CIFAR download was started
    assert not (offline_wandb / "wandb").exists()  # no W&B run was created


def test_unknown_optimizer_is_refused_by_the_cli(offline_wandb, monkeypatch, capsys):
    err = refused(monkeypatch, capsys, train_main, "--optimizer", "rmsprop")
    assert err.startswith("cls-train: --optimizer에 쓸 수 없는 값입니다 — --optimizer got")
    assert "'rmsprop', expected one of adam, sgd, adamw" in err


def test_cifar_offline_names_the_smoke_flag(offline_wandb, monkeypatch, capsys):
    """The real torchvision download, with the network cut by an unreachable proxy."""
    err = refused(monkeypatch, capsys, train_main, "--data-dir", str(offline_wandb.parent / "data"))
    assert err.startswith("cls-train: CIFAR-10을 내려받지 못했습니다 — CIFAR-10 could not be")
    assert "--smoke" in err


def test_your_own_images_link_into_a_collection_named_after_the_folder(
    offline_wandb, monkeypatch, capsys
):
    """`--dataset imagefolder` never lands in cifar10-classifier, and the CLI says where it went."""
    from cls_train.config import Config
    from PIL import Image
    from wb_common import find_run_dirs
    from wb_common.pending import pending_actions

    root = offline_wandb.parent / "My Flowers"
    for name, colour in (("rose", (200, 30, 30)), ("iris", (30, 30, 200))):
        (root / name).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (20, 20), colour).save(root / name / f"{i}.png")
    monkeypatch.setattr(sys, "argv", ["cls-train", "--dataset", "imagefolder", "--data-dir",
                                      str(root), "--no-pretrained", "--epochs", "1", "--img-size",
                                      "16", "--batch-size", "4", "--output-dir",
                                      str(offline_wandb.parent / "out")])  # fmt: skip
    train_main()
    target = "wandb-registry-model/my-flowers-classifier"
    assert f"Registry link to {target} ['staging'] queued" in capsys.readouterr().out
    (run_dir,) = find_run_dirs(offline_wandb)
    assert [a["target"] for a in pending_actions(run_dir) if a["action"] == "link"] == [target]
    assert Config(registry_collection="flowers-v2").collection == "flowers-v2"  # overridable
    assert Config().collection == "cifar10-classifier"  # the task's, from wb_common.tasks
    assert Config(smoke=True).collection == "cifar10-classifier-smoke"


@pytest.mark.parametrize(
    ("sweep_id", "message"),
    [("just-an-id", "ENTITY/PROJECT/ID"), ("team/wandb-e2e-demo-image-classification/x", "서버")],
)
def test_sweep_id_errors_are_one_sentence(offline_wandb, monkeypatch, capsys, sweep_id, message):
    err = refused(
        monkeypatch, capsys, sweep_main, "--smoke", "--count", "1", "--sweep-id", sweep_id
    )
    assert message in err
    assert not (offline_wandb / "wandb").exists()  # nothing trained or recorded
