"""One voice, Korean first: wb-demo's path errors, inspect's long lists, the closing block.

uv run --package wb-common pytest packages/wb-common/tests/test_cli_voice.py
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from wb_common import cli, summary
from wb_common.card import ModelCard
from wb_common.pending import queue_action
from wb_common.readback import RecordedArtifact, RecordedRun
from wb_common.summary import closing_block, link_state, run_url

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def korean_first(line: str) -> bool:
    """Hangul comes before the first Latin letter of the sentence (the prog name aside)."""
    text = line.split(": ", 1)[-1]
    first_latin = re.search(r"[A-Za-z]", text)
    first_hangul = HANGUL.search(text)
    return bool(first_hangul) and (not first_latin or first_hangul.start() < first_latin.start())


@pytest.mark.parametrize("argv", [["sync", "--dry-run"], ["sync"], ["inspect"]])
def test_a_mistyped_path_is_one_korean_sentence_and_exit_2(monkeypatch, capsys, tmp_path, argv):
    """Before: `wb-demo sync --dry-run <missing>` printed "no offline runs" and exited 0."""
    missing = tmp_path / "no" / "such" / "path"
    monkeypatch.setattr(sys, "argv", ["wb-demo", *argv, str(missing)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert out == "" and err.count("\n") == 1, err
    assert korean_first(err) and str(missing) in err, err


def test_inspect_summarises_a_long_file_list(tmp_path):
    """An own-data run's dataset artifact: 2,000 names become a count and the first five."""
    files = {f"train/class{i % 10}/{i:04d}.png": tmp_path / f"{i}.png" for i in range(2000)}
    run = RecordedRun(
        path=tmp_path, run_id="abc", project="p", group="", job_type="train", tags=[],
        config={}, history=[], summary={},
        artifacts=[RecordedArtifact("imagefolder-digits", "dataset", ["v0"], {}, files)],
    )  # fmt: skip
    text = cli.summarize(run)
    (line,) = [line for line in text.splitlines() if "imagefolder-digits" in line]
    assert "2000" in line and "train/class0/0000.png" in line
    assert line.count(".png") == 5 and len(line) < 300, line
    short = RecordedArtifact("m", "model", ["v0"], {}, {"model.pth": tmp_path, "card": tmp_path})
    assert "files=['card', 'model.pth']" in cli.summarize(
        RecordedRun(tmp_path, "abc", "p", "", "train", [], {}, [], {}, [short])
    )


def card(model_type: str = "classification") -> ModelCard:
    return ModelCard(
        model_type=model_type,
        architecture="resnet18",
        # each model type has its weights format (card.WEIGHTS_FORMATS): an LLM adapter's
        weights_file="adapter_model.safetensors" if model_type == "llm-lora" else "model.pth",
        class_names=["cat", "dog"],
        input_size=[32, 32],
        run_path="team/wandb-e2e-demo-image-classification/abc123",
    )


def offline_result(tmp_path: Path, *, queued: bool = True) -> SimpleNamespace:
    """What cls-train's TrainResult holds after an offline run (its fields, by name)."""
    run_dir = tmp_path / "wandb" / "offline-run-20261207_010101-abc123"
    run_dir.mkdir(parents=True)
    if queued:
        queue_action(run_dir, {
            "action": "link", "run_path": "team/p/abc123", "artifact": "resnet18-digits",
            "digest": "d", "target": "wandb-registry-model/digits-classifier",
            "aliases": ["staging"],
        })  # fmt: skip
    return SimpleNamespace(
        metrics={"val/acc": 0.956, "val/loss": 0.21},
        run_id="abc123",
        run_dir=run_dir,
        model_path=tmp_path / "out" / "model.pth",
        card=card(),
    )


@pytest.mark.parametrize("in_repository", [True, False])
def test_the_closing_block_says_what_to_do_next(tmp_path, monkeypatch, in_repository):
    """Metric, weights, card, run folder, Registry state and the next commands, Korean first.
    The viewer command names the repository's app inside the uv workspace's .venv and the
    installed one elsewhere (a pip install, or CI's .venv-3.13), whichever runs the test."""
    monkeypatch.setattr(summary, "in_uv_workspace", lambda: in_repository)
    result = offline_result(tmp_path)
    text = closing_block("cls-train", result)
    lines = text.splitlines()
    assert "val/acc 0.9560" in text
    assert str(result.model_path) in text and "model_card.json" in text
    assert f"offline folder {result.run_dir}" in text
    assert link_state(result.run_dir) == "queued" and "queued" in text
    assert f"wb-demo sync {result.run_dir.parent}" in text
    assert f"viewer-deploy --offline-run {result.run_dir}" in text
    app = "apps/viewer/app.py" if in_repository else "print(viewer.ui.APP)"
    assert "streamlit run " in text and app in text
    labelled = [line for line in lines if " / " in line]
    # every labelled line says it in Korean before the " / " and in English after
    assert len(labelled) >= 6 and all(HANGUL.search(line.split(" / ")[0]) for line in labelled)


def test_the_closing_block_of_an_online_run_names_its_url(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    run_dir = tmp_path / "wandb" / "run-20261207_010101-abc123"
    run_dir.mkdir(parents=True)
    result = SimpleNamespace(
        metrics={"eval/loss": 1.5},
        run_id="abc123",
        run_dir=run_dir,
        adapter_dir=tmp_path / "adapter",
        card=card("llm-lora"),
        trainable_params=1,
    )
    text = closing_block("llm-train", result)
    assert "https://wandb.ai/team/wandb-e2e-demo-image-classification/runs/abc123" in text
    assert "linked" in text and str(tmp_path / "adapter") in text
    assert "viewer-deploy" not in text and "wb-demo sync" not in text  # nothing to upload
    monkeypatch.setenv("WANDB_BASE_URL", "https://api.wandb.example.com")
    assert run_url("t/p/r") == "https://wandb.example.com/t/p/runs/r"


@pytest.mark.parametrize("set_up_before", [True, False])
def test_a_run_starts_with_one_line_not_the_wandb_banner(offline_wandb, tmp_path, set_up_before):
    """Before: ~20 `wandb:` lines a run (tracking, offline, history, summary, sync hint) and an
    info line per logged folder. A subprocess: wandb sets its terminal up once per process,
    either before the run (an integration called wandb.setup()) or inside wandb.init."""
    import subprocess

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("x")
    setup = "wandb.setup()\n" if set_up_before else ""
    script = (
        "import wandb\n"
        "from wb_common.run import start_run\n"
        f"{setup}"
        "run = start_run('image-classification', {'lr': 0.1}, dir='.')\n"
        "artifact = wandb.Artifact('toy-data', type='dataset')\n"
        "artifact.add_dir('d')\n"
        "run.log_artifact(artifact)\n"
        "run.log({'train/loss': 1.0})\n"
        "run.finish()\n"
        "print(run.id, run.sync_dir)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "WANDB_SILENT"}  # the fixture's, not ours
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=True, env=env)  # fmt: skip
    assert "wandb:" not in done.stdout + done.stderr, done.stdout + done.stderr
    run_id, sync_dir = done.stdout.splitlines()[-1].split()
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("[wb-demo]")]
    assert HANGUL.search(line.split(" / ")[0]) and run_id in line  # Korean, then English
    assert sync_dir in line and "wb-demo sync" in line


def test_the_epoch_progress_bar_is_off_in_ci_and_when_piped(monkeypatch):
    """tqdm's auto bar on a terminal; off in CI, in piped output and on non-main processes."""
    from wb_common.progress import progress

    batches = [1, 2, 3]
    monkeypatch.setenv("CI", "true")
    assert progress(batches, "학습 / train") is batches
    monkeypatch.delenv("CI")
    assert progress(batches, "학습 / train", main_process=False) is batches
    bar = progress(batches, "학습 / train")  # pytest captures stderr: not a terminal
    assert bar.disable and list(bar) == batches
