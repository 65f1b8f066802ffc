"""`--help` of every console script: fast (no torch, no wandb) and Korean first; and what the six
train CLIs share, one row per task (wb_common.entry's own rules: its test_entry.py).

uv run --all-packages pytest tests/test_cli_help.py
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from wb_testing.fixtures import (
    assert_second_run_refused,
    console_scripts,
    isolate_wandb,
    plant_run,
    refused,
)

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
WB_DEMO_COMMANDS = ("inspect", "sync", "report", "registry", "promote", "rollback", "automation")
HEAVY = ("torch", "wandb", "transformers", "ultralytics", "diffusers")


# One interpreter for all of them: each main runs with --help (SystemExit caught), then the
# modules it loaded are listed. A fresh process per CLI would cost a second each for nothing.
PROBE = r"""
import contextlib, importlib, io, json, sys
probes = json.loads(sys.argv[1])
out = {}
for label, (target, argv) in probes.items():
    module, func = target.split(":")
    sys.argv = [label.split()[0], *argv, "--help"]
    buf = io.StringIO()
    code = None
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            getattr(importlib.import_module(module), func)()
        except SystemExit as exit:
            code = exit.code
    out[label] = {"code": code, "help": buf.getvalue()}
heavy = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"heavy": heavy, "runs": out}))
"""


@pytest.fixture(scope="module")
def probe() -> dict:
    scripts = console_scripts(ROOT)
    probes = {name: [target, []] for name, target in scripts.items()}
    for command in WB_DEMO_COMMANDS:  # `wb-demo --help` lists them; each has its own options
        probes[f"wb-demo {command}"] = [scripts["wb-demo"], [command]]
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(probes)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_cli_is_probed(probe):
    assert set(console_scripts(ROOT)) <= set(probe["runs"])
    assert len(probe["runs"]) >= 15
    assert all(run["code"] == 0 for run in probe["runs"].values()), probe["runs"]


def test_help_imports_neither_torch_nor_wandb(probe):
    """Parsing `--help` needs only the Config dataclass; the heavy libraries load after parsing."""
    assert probe["heavy"] == []


def option_helps(text: str) -> dict[str, str]:
    """Each option, positional or subcommand of a tyro/argparse help -> its help's first line.

    tyro writes `--flag TYPE  help` on one line, or the help on the next, deeper-indented line.
    """
    helps: dict[str, str] = {}
    boxed = [line.startswith("│") for line in text.splitlines()]
    lines = [line.strip("│|").rstrip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        positional = r"|\[?[A-Z][A-Z_]+\]?" if boxed[i] else ""  # not the description's words
        match = re.match(rf"\s{{0,3}}(?:-h, )?(--[a-z][\w.-]*{positional})(.*)$", line)
        match = match or re.match(r"\s*(• [\w-]+)(.*)$", line)  # a subcommand
        if not match or match.group(1) in ("--help",):
            continue
        rest = re.split(r"\s{2,}", match.group(2).rstrip(), maxsplit=1)
        if len(rest) == 2:
            helps[match.group(1)] = rest[1]
        elif i + 1 < len(lines) and re.match(r"\s{8,}\S", lines[i + 1]):
            helps[match.group(1)] = lines[i + 1].strip()
        else:
            helps[match.group(1)] = ""
    return helps


def test_help_is_korean_first(probe):
    """The description and every option's help start in Korean (the English follows)."""
    missing, seen = {}, 0
    for name, run in probe["runs"].items():
        text = run["help"]
        helps = option_helps(text)
        seen += len(helps)
        english = [flag for flag, line in helps.items() if not HANGUL.search(line)]
        description = text.split("\n\n")[1] if text.count("\n\n") else ""
        if not HANGUL.search(description.split(" / ")[0]):
            english.append("(description)")
        if english:
            missing[name] = english
    assert seen > 150  # the parser found the options (`wb-demo registry` has none of its own)
    assert missing == {}


TRAINERS = ("cls", "seg", "det", "video", "llm", "gen")


@pytest.mark.parametrize("task", TRAINERS)
def test_every_train_cli_ends_with_the_closing_block(task, monkeypatch, capsys, tmp_path):
    """`X-train` prints wb_common.summary's block with what `train` returned (a stand-in train
    module: the wiring is under test, not the training)."""
    import types

    from wb_common.card import ModelCard

    cli = importlib.import_module(f"{task}_train.cli")
    run_dir = tmp_path / "wandb" / "offline-run-20261207_010101-abc123"
    run_dir.mkdir(parents=True)
    card = ModelCard(model_type="llm-lora", architecture="a", weights_file="w.safetensors")
    result = types.SimpleNamespace(metrics={"val/loss": 0.5}, run_id="abc123", run_dir=run_dir,
                                   model_path=tmp_path / "weights", card=card)  # fmt: skip
    fake = types.ModuleType(f"{task}_train.train")
    fake.train = lambda cfg: result
    monkeypatch.setitem(sys.modules, f"{task}_train.train", fake)
    monkeypatch.setattr(cli, "user_errors", lambda: (ValueError,))
    monkeypatch.setattr(sys, "argv", [f"{task}-train", "--smoke"])
    cli.train_main()
    out = capsys.readouterr().out
    assert "학습 완료 / training done" in out and "val/loss 0.5000" in out
    assert str(tmp_path / "weights") in out and f"wb-demo sync {run_dir.parent}" in out


# Each task's own checkpoint names (the file that means "a run is here"), then its other files.
EARLIER_RUN = {
    "cls": ("checkpoint.pt", "model.pth"),
    "seg": ("checkpoint.pt", "model.pth"),
    "det": ("train/weights/last.pt", "train/results.csv", "wandb_run.json"),  # Ultralytics' own
    "video": ("checkpoint.pt", "model.pth"),
    "llm": ("checkpoints/checkpoint-4/trainer_state.json", "wandb_run.json"),  # the Trainer's
    "gen": ("checkpoint.pt", "lora/pytorch_lora_weights.safetensors"),
}


@pytest.mark.parametrize("task", TRAINERS)
def test_a_second_run_into_the_same_folder_stops_and_changes_nothing(
    task, tmp_path, monkeypatch, capsys
):
    """Another run's checkpoint in --output-dir: one sentence naming --resume and --overwrite,
    before any work; every file of the old run keeps its bytes."""
    runs = isolate_wandb(monkeypatch, tmp_path)
    cli = importlib.import_module(f"{task}_train.cli")
    before = plant_run(tmp_path / "out", *EARLIER_RUN[task])
    argv = ["--smoke", "--output-dir", str(tmp_path / "out")]
    err = refused(monkeypatch, capsys, cli.train_main, *argv)
    assert err.startswith(f"{task}-train: ")
    assert_second_run_refused(err, tmp_path / "out", before)
    assert not (runs / "wandb").exists()  # no W&B run was created


@pytest.mark.parametrize("task", [t for t in TRAINERS if t != "det"])  # det: lr0, its own test
def test_every_sweep_checks_its_base_config_before_the_first_trial(
    task, tmp_path, monkeypatch, capsys
):
    runs = isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # the sweep's default output folder
    cli = importlib.import_module(f"{task}_train.cli")
    err = refused(
        monkeypatch, capsys, cli.sweep_main, "--smoke", "--count", "1", "--config.lr", "0"
    )
    assert err.startswith(f"{task}-sweep: lr은(는) 양수여야 합니다 — lr must be a positive number")
    assert not (runs / "wandb").exists()


def test_det_drops_ultralytics_argument_dump_and_model_table_unless_verbose():
    """Ultralytics logs `engine/trainer: task=detect, mode=train, ...` (one ~2,000-character line)
    and a row per layer; the epoch progress and the summary line stay."""
    import logging

    from det_train.cli import QuietUltralytics

    def kept(message: str) -> bool:
        record = logging.LogRecord("ultralytics", logging.INFO, __file__, 1, message, None, None)
        return QuietUltralytics().filter(record)

    assert not kept("\x1b[34m\x1b[1mengine/trainer: \x1b[0mtask=detect, mode=train, model=yolov8n")
    assert not kept("                   from  n    params  module                  arguments")
    assert not kept(
        "  0                  -1  1       464  ultralytics.nn.modules.conv.Conv  [3, 16]"
    )
    assert not kept(" 22        [15, 18, 21]  1    751897  ultralytics.nn.modules.head.Detect  [3]")
    assert not kept(" 10                  -1  1         0  torch.nn.modules.upsampling.Upsample")
    assert kept("YOLOv8n summary: 129 layers, 3,011,433 parameters, 8.2 GFLOPs")
    assert kept("        1/3         0G      6.736      4.659      4.309         14         96")


def test_llm_drops_bitsandbytes_kernels_hint_unless_verbose():
    """The "pip install kernels" warning of bitsandbytes' CPU backend (its fallback runs)."""
    import logging

    from llm_train.cli import quiet_kernels_hint

    logger = logging.getLogger("bitsandbytes.backends.cpu.ops")
    before = list(logger.filters)
    try:
        quiet_kernels_hint(verbose=False)
        message = "Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make "
        message += "sure you already `pip install kernels` and the kernels >= 0.11.1"
        record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, ("x",), None)
        assert not logger.filter(record)
        other = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "other", None, None)
        assert logger.filter(other)
    finally:
        logger.filters[:] = before


@pytest.mark.parametrize(
    "script, args",
    [
        ("wb-demo", ["frobnicate"]),
        ("wb-demo", []),
        ("wb-demo", ["promote"]),
        ("wb-demo", ["sync", "--dryrun"]),
        ("viewer-deploy", ["--offline-runn", "x"]),
        ("viewer-rehearse", ["--bogus"]),
    ],
)
def test_the_other_clis_answer_a_typo_in_one_korean_first_sentence(
    monkeypatch, capsys, script, args
):
    """wb-demo, viewer-deploy and viewer-rehearse parse as the training CLIs do: a mistyped flag,
    a missing argument or no command is one sentence and exit 2, not tyro's English box."""
    module, function = console_scripts(ROOT)[script].split(":")
    main = getattr(importlib.import_module(module), function)
    err = refused(monkeypatch, capsys, main, *args)
    assert err.startswith(f"{script}: ") and f"`{script} --help`" in err
