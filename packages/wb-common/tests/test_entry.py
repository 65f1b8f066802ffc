"""`run_or_exit`: a user's error ends in one sentence and exit code 2, a bug keeps its traceback;
an interrupt ends in 130 (Ctrl-C) or 143 (SIGTERM) with the `--resume` command. `train_command`:
another run's checkpoint is never overwritten, an unwritable folder stops before any work.

uv run --all-packages pytest packages/wb-common/tests/test_entry.py -q
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import pytest
from wb_common.checks import ConfigError
from wb_common.entry import SweepId, resume_command, run_or_exit, sweep_command, train_command


class BadFlag(ValueError):
    pass


def test_a_user_error_is_one_line_on_stderr_and_exit_2(capsys):
    def fail() -> None:
        raise BadFlag("--lr는 양수여야 합니다 — --lr must be positive.")

    with pytest.raises(SystemExit) as caught:
        run_or_exit("cls-train", fail, errors=(BadFlag,))
    assert caught.value.code == 2
    assert capsys.readouterr().err == "cls-train: --lr는 양수여야 합니다 — --lr must be positive.\n"


def test_other_errors_pass_through_and_results_are_returned():
    assert run_or_exit("x", lambda a, b: a + b, 2, 3, errors=(BadFlag,)) == 5
    with pytest.raises(ZeroDivisionError):
        run_or_exit("x", lambda: 1 / 0, errors=(BadFlag,))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: what "nothing of the old run changes" compares."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@dataclass(frozen=True)
class Cfg:
    output_dir: Path = Path("out")
    resume: bool = False
    overwrite: bool = False
    smoke: bool = False
    epochs: int = 3
    optimizer: Literal["adam", "sgd"] = "adam"


def run_train(monkeypatch, argv, train=None, checkpoints=None, check=lambda cfg: None, **hooks):
    """`train_command` as `argv` (program name first); `train` its task's training, in a
    stand-in module imported after parsing as a task's is (none: importing it would fail)."""
    if train is not None:
        monkeypatch.setitem(sys.modules, "stand_in_task", types.SimpleNamespace(train=train))
    if checkpoints is not None:
        hooks["checkpoints"] = lambda: checkpoints
    monkeypatch.setattr(sys, "argv", argv)
    hooks.setdefault("smoke_config", lambda cfg: cfg)
    train_command(
        argv[0],
        Cfg,
        description="시험 / test",
        train="stand_in_task:train",
        check_config=check,
        errors=lambda: (BadFlag,),
        **hooks,
    )


def old_run(out: Path) -> dict[str, bytes]:
    (out / "train" / "weights").mkdir(parents=True)
    (out / "train" / "weights" / "last.pt").write_bytes(b"old weights")
    (out / "train" / "results.csv").write_text("epoch\n1\n")
    (out / "wandb_run.json").write_text('{"run_id": "old"}')
    return tree(out)


CHECKPOINTS = ("train/weights/last.pt",)


def test_a_second_run_into_a_folder_with_a_checkpoint_stops_and_changes_nothing(
    tmp_path, monkeypatch, capsys
):
    """No task module exists (run_train without `train`: importing it would fail), so the
    refusal also shows it comes before the training code (10-20 s of imports) loads."""
    out = tmp_path / "out"
    before = old_run(out)
    with pytest.raises(SystemExit) as caught:
        run_train(monkeypatch, ["det-train", "--output-dir", str(out)], checkpoints=CHECKPOINTS)
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert err.startswith("det-train: ") and err.count("\n") == 1, err
    assert "--resume" in err and "--overwrite" in err and "train/weights/last.pt" in err
    assert err.index("체크포인트") < err.index("checkpoint")  # Korean first
    assert tree(out) == before


class TaskConfigError(ConfigError):  # what each task's config.py declares
    pass


def test_a_bad_value_is_refused_before_the_task_loads(tmp_path, monkeypatch, capsys):
    """A task's ConfigError (a checks.ConfigError) is refused with no task module to import."""
    sentence = "epochs은(는) 1 이상이어야 합니다 — epochs must be at least 1."

    def check(cfg: Cfg) -> None:
        raise TaskConfigError(sentence)

    with pytest.raises(SystemExit) as caught:
        run_train(monkeypatch, ["x-train", "--output-dir", str(tmp_path / "new")], check=check)
    assert caught.value.code == 2
    assert (
        capsys.readouterr().err
        == "x-train: epochs은(는) 1 이상이어야 합니다 — epochs must be at least 1.\n"
    )


def test_resume_continues_and_overwrite_deletes_the_old_run_first(tmp_path, monkeypatch):
    out = tmp_path / "out"
    before = old_run(out)
    seen = []
    for flag in ("--resume", "--overwrite"):
        argv = ["x", "--output-dir", str(out), flag]
        run_train(monkeypatch, argv, lambda c: seen.append(tree(out)), CHECKPOINTS)
    assert seen == [before, {}]  # a later --resume can never pick up the old run's state


def test_an_unwritable_output_folder_is_one_sentence_before_any_work(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    checked, trained = [], []
    argv = ["cls-train", "--output-dir", str(blocker / "out")]
    with pytest.raises(SystemExit) as caught:
        run_train(monkeypatch, argv, trained.append, check=checked.append)
    err = capsys.readouterr().err
    assert caught.value.code == 2 and checked and not trained
    assert err.startswith("cls-train: 출력 폴더에 쓸 수 없습니다 — cannot write to the output")
    assert err.count("\n") == 1


@pytest.mark.parametrize("saved", [True, False])
def test_ctrl_c_exits_130_with_the_resume_command(tmp_path, monkeypatch, capsys, saved):
    out = tmp_path / "my out"

    def interrupted(cfg: Cfg) -> None:
        if saved:
            (out / "checkpoint.pt").write_bytes(b"epoch 1")
        raise KeyboardInterrupt

    argv = ["cls-train", "--smoke", "--output-dir", str(out), "--overwrite"]
    with pytest.raises(SystemExit) as caught:
        run_train(monkeypatch, argv, interrupted)
    err = capsys.readouterr().err
    assert caught.value.code == 130 and err.count("\n") == 1 and "Ctrl-C" in err
    resume = f"`cls-train --smoke --output-dir '{out}' --resume`"
    assert (resume in err) == saved
    assert ("before the first checkpoint" in err) == (not saved)


def test_sigterm_ends_the_work_with_143_and_a_sentence(tmp_path, capsys):
    """A real SIGTERM to this process: raised as an exception inside the work, not a hard kill."""
    reached = []

    def work() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        reached.append("after")

    with pytest.raises(SystemExit) as caught:
        run_or_exit("cls-sweep", work, errors=())
    assert caught.value.code == 143 and not reached
    assert capsys.readouterr().err == "cls-sweep: 중단했습니다 — stopped by SIGTERM.\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back afterwards


def test_resume_command_adds_resume_once_and_drops_overwrite():
    assert resume_command("gen-train", ["--overwrite", "--lr", "1e-4"]) == (
        "gen-train --lr 1e-4 --resume"
    )
    assert resume_command("gen-train", ["--resume"]) == "gen-train --resume"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--epochs", "abc"],
            "x-train: --epochs 값을 읽을 수 없습니다 — cannot read --epochs 'abc' (expected INT); ",
        ),
        (
            ["--optimizer", "rms"],
            "x-train: --optimizer에 쓸 수 없는 값입니다 — --optimizer got 'rms'",
        ),
        (["--nope"], "x-train: 알 수 없는 인자입니다 — unrecognized argument(s): --nope"),
    ],
)
def test_an_argument_tyro_cannot_parse_is_one_sentence_before_the_task_loads(
    monkeypatch, capsys, args, message
):
    with pytest.raises(SystemExit) as caught:
        run_train(monkeypatch, ["x-train", *args])  # no task module: parsing must stop first
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert (
        err.startswith(message) and err.endswith("see `x-train --help`.\n") and err.count("\n") == 1
    )


def test_before_runs_ahead_of_the_task_import_and_smoke_gives_train_the_smoke_config(
    tmp_path, monkeypatch
):
    """det and llm quiet a library's log in `before`: llm's must precede bitsandbytes' import."""
    seen = []

    def before(cfg: Cfg) -> None:  # the task's module exists from here on
        seen.append(("before", cfg.smoke, cfg.epochs))
        task = types.SimpleNamespace(train=lambda cfg: seen.append(("train", cfg.epochs)))
        monkeypatch.setitem(sys.modules, "stand_in_task", task)

    argv = ["x", "--smoke", "--output-dir", str(tmp_path)]
    run_train(monkeypatch, argv, before=before, smoke_config=lambda cfg: replace(cfg, epochs=1))
    assert seen == [("before", True, 3), ("train", 1)]


@dataclass(frozen=True)
class SweepArgs:
    config: Cfg = field(default_factory=Cfg)
    count: int = 10
    smoke: bool = False
    sweep_id: SweepId = None


def test_a_sweep_starts_from_the_smoke_base_and_a_users_error_is_one_sentence(monkeypatch, capsys):
    calls = []

    def sweep(base: Cfg, count: int, *, sweep_id: str | None) -> None:
        calls.append((base.epochs, count, sweep_id))
        raise BadFlag("lr은(는) 양수여야 합니다 — lr must be a positive number, got 0.")

    monkeypatch.setitem(sys.modules, "stand_in_task", types.SimpleNamespace(sweep=sweep))
    monkeypatch.setattr(sys, "argv", ["x-sweep", "--smoke", "--count", "2", "--sweep-id", "a/b/c"])
    with pytest.raises(SystemExit) as caught:
        sweep_command(
            "x-sweep",
            SweepArgs,
            description="시험 / test",
            sweep="stand_in_task:sweep",
            smoke_config=lambda cfg: replace(cfg, epochs=1),
            errors=lambda: (BadFlag,),
        )
    assert caught.value.code == 2 and calls == [(1, 2, "a/b/c")]
    err = capsys.readouterr().err
    assert err == "x-sweep: lr은(는) 양수여야 합니다 — lr must be a positive number, got 0.\n"


def test_a_training_command_loads_no_sweep_code(tmp_path):
    """A train run needs the sweep's errors no more than its engine: `<task>-train` imports
    neither wb_common.sweep nor wb_common.report (a fresh interpreter, a stand-in task)."""
    script = f"""
import sys, types
from dataclasses import dataclass
from pathlib import Path
from wb_common.entry import train_command

@dataclass
class Cfg:
    output_dir: Path = Path({str(tmp_path)!r})
    resume: bool = False
    overwrite: bool = False
    smoke: bool = False

sys.modules["stand_in_task"] = types.SimpleNamespace(train=lambda cfg: None)
sys.argv = ["x-train"]
train_command("x-train", Cfg, description="시험 / test", train="stand_in_task:train",
              smoke_config=lambda cfg: cfg, check_config=lambda cfg: None, errors=lambda: ())
print(sorted(m for m in ("wb_common.sweep", "wb_common.report") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
