"""What every console script does with an error a user can cause: one sentence, exit code 2.

`train_command` and `sweep_command` are the whole `<task>-train` / `<task>-sweep`: parse the
flags, import the task's training (torch loads after parsing: `--help` stays fast), run it as
below, print the closing block. A task's `cli.py` names only what is its own.

A bad flag, a missing dataset, no network, nothing to resume: the task's own error types carry a
sentence that says what to do (Korean, then English). The entry points print it and exit; any
other exception is a bug and keeps its traceback.

A training CLI also stops cleanly when it is stopped: Ctrl-C (SIGINT) and SIGTERM (a `kill`, a
scheduler, a runtime shutdown) end with exit code 130 / 143 and one sentence holding the exact
`--resume` command, no traceback. `train_command` checks the output folder before any work
(`wb_common.checkpoint.prepare_output_dir`): another run's checkpoint there is never overwritten.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import shlex
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import tyro

from wb_common.checkpoint import (
    CHECKPOINT_FILE,
    OutputDirError,
    ResumeError,
    find_checkpoints,
    prepare_output_dir,
)
from wb_common.checks import ConfigError

Errors = Callable[[], tuple[type[BaseException], ...]]  # imported when called: after parsing
SweepId = Annotated[  # every <task>-sweep's --sweep-id
    str | None,
    tyro.conf.arg(
        help="이 W&B 스윕에 에이전트로 참여 / ENTITY/PROJECT/ID: join that W&B sweep as one more "
        "agent;\nthen `wb-demo report --sweep ENTITY/PROJECT/ID` once every agent is done."
    ),
]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt: no `except Exception` in a library
    swallows it, and the run stops the same clean way."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


@contextlib.contextmanager
def _interrupts_as_exceptions() -> Iterator[None]:
    """SIGTERM raises `Terminated` while training runs (Python's default ends the process at
    once: no message, and wandb never hears that the run stopped)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _no_interrupt_traceback() -> Iterator[None]:
    """wandb's `Run.__exit__` prints the traceback of whatever leaves `with run:`, an interrupt
    included (wandb/sdk/wandb_run.py); a stop the user asked for is no bug. The run still
    finishes, marked failed (exit code 1), before the interrupt reaches `run_or_exit`."""
    wandb_run = sys.modules.get("wandb.sdk.wandb_run")  # only when the task imported wandb
    real = getattr(wandb_run, "traceback", None)
    if real is None:
        yield
        return

    class _Traceback:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def print_exception(self, exc: Any, *args: Any, **kwargs: Any) -> None:
            interrupt = isinstance(exc, KeyboardInterrupt) or (
                isinstance(exc, type) and issubclass(exc, KeyboardInterrupt)
            )
            if not interrupt:
                real.print_exception(exc, *args, **kwargs)

    wandb_run.traceback = _Traceback()
    try:
        yield
    finally:
        wandb_run.traceback = real


def resume_command(prog: str, argv: Sequence[str]) -> str:
    """This run's own command line with `--resume` (and without `--overwrite`)."""
    args = [a for a in argv if a not in ("--overwrite", "--resume")]
    return shlex.join([prog, *args, "--resume"])


def _interrupted(prog: str, err: KeyboardInterrupt, output_dir: Path | None, checkpoints) -> int:
    code = 143 if isinstance(err, Terminated) else 130
    how = "SIGTERM" if code == 143 else "Ctrl-C"
    if output_dir is None:
        sentence = f"중단했습니다 — stopped by {how}."
    elif find_checkpoints(output_dir, checkpoints):
        sentence = (
            f"학습을 중단했습니다. 마지막 체크포인트에서 이어서 하려면 "
            f"`{resume_command(prog, sys.argv[1:])}` — stopped by {how}; the last checkpoint "
            f"in {output_dir} is intact, continue with the command above."
        )
    else:
        sentence = (
            f"첫 체크포인트 전에 학습을 중단했습니다. 다시 시작하려면 "
            f"`{shlex.join([prog, *sys.argv[1:]])}` — stopped by {how} before the first "
            "checkpoint; run the same command again to start over."
        )
    print(f"{prog}: {sentence}", file=sys.stderr, flush=True)
    return code


def run_or_exit(
    prog: str,
    fn: Callable[..., Any],
    *args: Any,
    errors: tuple[type[BaseException], ...],
    output_dir: Path | None = None,
    checkpoints: Sequence[str] = (),
) -> Any:
    """`fn(*args)`; on one of `errors`, print `prog: <sentence>` to stderr and exit with 2.

    Ctrl-C and SIGTERM exit with 130 and 143 and one sentence; with `output_dir` (and the glob
    `checkpoints` that say a checkpoint is there) it holds the `--resume` command.
    """
    try:
        with _interrupts_as_exceptions(), _no_interrupt_traceback():
            return fn(*args)
    except errors as err:
        print(f"{prog}: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as err:
        sys.exit(_interrupted(prog, err, output_dir, checkpoints))


def train_command(
    prog: str,
    config: type,
    *,
    description: str,
    train: str,
    smoke_config: Callable[[Any], Any],
    check_config: Callable[[Any], None],
    errors: Errors,
    checkpoints: Callable[[], Sequence[str]] = lambda: (CHECKPOINT_FILE,),
    before: Callable[[Any], None] | None = None,
) -> None:
    """`<task>-train`: the flags into `config`, `before(cfg)`, `train` ("module:function") on the
    smoke setup under `--smoke`, then the closing block with what it returned.

    Before any work: `check_config(cfg)`, then the output folder's rules. `checkpoints()`: the
    glob patterns under `cfg.output_dir` whose match means a run's checkpoint is there; without
    `--resume` or `--overwrite`, such a folder stops the run in one sentence.
    """
    cfg = _parse(prog, config, description)
    if before is not None:
        before(cfg)
    cfg = smoke_config(cfg) if cfg.smoke else cfg
    globs = checkpoints()

    def checks() -> None:
        check_config(cfg)
        prepare_output_dir(cfg.output_dir, globs, resume=cfg.resume, overwrite=cfg.overwrite)

    # Refused in a second: the checks need the config only, not the training code (torch,
    # wandb, the task's data and model modules take 10-20 s to import on 2 cores).
    run_or_exit(prog, checks, errors=(ConfigError, OutputDirError))
    # Imported before run_or_exit: its interrupt handling patches what the task imported (wandb).
    train_fn = _imported(train)
    errs = (*errors(), OutputDirError, ResumeError)
    result = run_or_exit(
        prog,
        train_fn,
        cfg,
        errors=errs,
        output_dir=cfg.output_dir,
        checkpoints=globs,
    )
    from wb_common.summary import print_closing_block  # imports wandb: after the work

    print_closing_block(prog, result)


def sweep_command(
    prog: str,
    args: type,
    *,
    description: str,
    sweep: str,
    smoke_config: Callable[[Any], Any],
    errors: Errors,
    before: Callable[[Any], None] | None = None,
) -> None:
    """`<task>-sweep`: the flags into `args` (`config`, `count`, `smoke`, `sweep_id`),
    `before(args.config)`, then `sweep` ("module:function") from the base config, its smoke
    setup under `--smoke` or `--config.smoke`."""
    parsed = _parse(prog, args, description)
    if before is not None:
        before(parsed.config)
    sweep_fn = _imported(sweep)
    base = parsed.config
    base = smoke_config(base) if parsed.smoke or base.smoke else base
    trials = functools.partial(sweep_fn, base, parsed.count, sweep_id=parsed.sweep_id)
    from wb_common.sweep import SweepError  # imports wandb: after parsing

    run_or_exit(prog, trials, errors=(*errors(), OutputDirError, ResumeError, SweepError))


def _parse(prog: str, cls: type, description: str) -> Any:
    with argument_errors(prog):
        return tyro.cli(cls, prog=prog, description=description)


def _imported(target: str) -> Callable[..., Any]:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def argument_errors(prog: str) -> Iterator[None]:
    """Around `tyro.cli(...)`: a flag tyro cannot parse (`--epochs abc`) ends in one sentence on
    stderr and exit code 2, instead of tyro's boxed English message.

    tyro reports a parse failure through its parse-error hook (`tyro._errors`, a private module:
    without it, tyro's own message stays).
    """
    try:
        from tyro import _errors
    except ImportError:
        yield
        return

    class _Rejected(Exception):
        pass

    def hook(event: Any) -> None:
        raise _Rejected(_argument_sentence(prog, event))

    try:
        with _errors.on_parse_error(hook):
            yield
    except _Rejected as rejected:
        print(f"{prog}: {rejected}", file=sys.stderr)
        sys.exit(2)


def _missing(event: Any) -> str:
    """The required arguments a MissingArgs event names ("" for any other event)."""
    items = getattr(event, "missing_arguments", None) or []
    return ", ".join(str(item.arg.display_name()) for item in items if hasattr(item, "arg"))


def _commands(event: Any) -> str:
    """The subcommands a MissingSubcommand event offers ("" for any other event)."""
    spec = getattr(event, "subcommand_spec", None)
    return ", ".join(getattr(spec, "parser_from_name", None) or ())


def _argument_sentence(prog: str, event: Any) -> str:
    arg = getattr(event, "argument", None)
    name = arg.display_name() if arg is not None else None
    tokens = " ".join(getattr(event, "tokens", None) or [])
    if name and getattr(event, "message", None):  # a value of the wrong type: --epochs abc
        value = event.message.split(": ", 1)[-1]  # "invalid literal for int() ...: 'abc'"
        metavar = getattr(arg.lowered, "metavar", None)
        expected = f" (expected {metavar})" if isinstance(metavar, str) else ""
        what, english = f"{name} 값을 읽을 수 없습니다", f"cannot read {name} {value}{expected}"
    elif name and getattr(event, "choices", None):
        choices = ", ".join(event.choices)
        what = f"{name}에 쓸 수 없는 값입니다"
        english = f"{name} got {event.value!r}, expected one of {choices}"
    elif type(event).__name__ == "UnrecognizedArgs":
        what, english = "알 수 없는 인자입니다", f"unrecognized argument(s): {tokens}"
    elif missing := _missing(event):  # `wb-demo promote` without its collection and version
        what, english = "필요한 인자가 없습니다", f"missing {missing}"
    elif commands := _commands(event):  # `wb-demo` alone
        what, english = "명령을 고르세요", f"choose a command: {commands}"
    elif name:
        what, english = f"{name}의 값이 잘못되었습니다", f"bad value for {name}"
    else:
        detail = getattr(event, "message", None) or tokens
        what, english = (
            "인자를 해석할 수 없습니다",
            "cannot parse the arguments" + (f": {detail}" if detail else ""),
        )
    return f"{what} — {english}; see `{prog} --help`."
