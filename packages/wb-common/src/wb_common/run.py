"""Starting a W&B run the same way in every demo: online with credentials, offline without.

Rule (docs/architecture.md): `WANDB_MODE` set by the user always wins; otherwise the run is online
when an API key can be found (environment, ~/.netrc, Colab secret) and offline when not, with one
line that says where the run went and how to upload it. The CLI never prompts for a login, so a
headless run or a notebook executed in CI can never hang on `wandb.login()`.

One exception, on stage: a live (non-smoke) run on Colab with no key would record offline into a
runtime that vanishes with the run. There it asks (`wb_common.colab.ask_for_key`: a hidden prompt
that explains the Colab secret and its notebook-access switch) and stops with one sentence when no
key comes. Smoke mode (`--smoke`, `WB_DEMO_SMOKE=1`) keeps the offline fallback.
"""

from __future__ import annotations

import dataclasses
import functools
import netrc
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from wb_common.colab import ask_for_key, colab_secret, on_colab
from wb_common.commands import sync_command
from wb_common.tasks import project_name

if TYPE_CHECKING:  # wandb loads when a run starts, not when a CLI parses --help
    import wandb


def find_api_key() -> str | None:
    """The W&B API key from the environment, ~/.netrc or a Colab secret, without prompting."""
    if key := os.environ.get("WANDB_API_KEY"):
        return key
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname
    netrc_path = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    if netrc_path.is_file():
        try:
            auth = netrc.netrc(netrc_path).authenticators(host or "")
        except (netrc.NetrcParseError, OSError):
            auth = None
        if auth and auth[2]:
            return auth[2]
    if key := colab_secret("WANDB_API_KEY"):
        os.environ["WANDB_API_KEY"] = key  # so wandb.init and wandb.Api find it too
        return key
    return None


def smoke_requested() -> bool:
    """True when `WB_DEMO_SMOKE=1` switches the notebooks to smoke mode."""
    return os.environ.get("WB_DEMO_SMOKE", "") not in ("", "0")


def resolve_mode(*, smoke: bool = False) -> str:
    """`WANDB_MODE` when the user set it, else online with an API key and offline without.

    On Colab a live run (neither `smoke` nor WB_DEMO_SMOKE=1) with no key asks for one and raises
    `LoginRequired` when none is given, instead of recording offline into the runtime.
    """
    if mode := os.environ.get("WANDB_MODE"):
        return mode
    if find_api_key():
        return "online"
    if on_colab() and not (smoke or smoke_requested()):
        ask_for_key()
        return "online"
    return "offline"


def _config_dict(config: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    return dict(config or {})


def start_run(
    task: str,
    config: Any,
    *,
    job_type: str = "train",
    group: str | None = None,
    tags: Iterable[str] | None = None,
    name: str | None = None,
    run_id: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    disabled: bool = False,
) -> wandb.Run:
    """Start (or, with `run_id`, resume) a run in the task's project.

    `config` is the task's dataclass; it is recorded with `dataclasses.asdict`. `disabled=True`
    (e.g. on the non-main processes of a multi-GPU job) gives W&B's no-op run: same methods,
    nothing recorded, so the training loop never branches on "is logging on".
    Unless given, the run's `group` is the config's `group` field and its `tags` are ["smoke"]
    for a smoke run, else the config's `dataset`: the runs table filters by them.
    """
    import wandb

    values = _config_dict(config)
    group = values.get("group") if group is None else group
    if tags is None:
        dataset = values.get("dataset")
        tags = ["smoke"] if values.get("smoke") else [str(dataset)] if dataset else []

    active = wandb.run
    if active is not None and os.environ.get("WANDB_SWEEP_PARAM_PATH") and not disabled:
        # A sweep trial that started its run itself (`run = wandb.init()`, as W&B's docs teach,
        # reading its parameters from run.config): train in that run, with the whole config.
        active.config.update(values, allow_val_change=True)
        if tags:
            active.tags = (*active.tags, *tags)
        return active
    smoke = bool(values.get("smoke"))
    # wandb's ~20-line banner is off: one line below says where the run lives (--verbose: all).
    silent = not verbose_requested(config)
    if silent:  # and the process's info lines ("Adding directory to artifact ..."); warnings stay
        wandb.termsetup(wandb.Settings(show_info=False), None)  # wandb.setup() may have run
    mode = "disabled" if disabled else resolve_mode(smoke=smoke)
    if dir is not None:
        Path(dir).mkdir(parents=True, exist_ok=True)
    init = functools.partial(
        wandb.init,
        project=project_name(task),
        entity=os.environ.get("WANDB_ENTITY"),
        config=values,
        job_type=job_type,
        group=group,
        tags=list(tags),
        name=name,
        id=run_id,
        resume="allow" if run_id else None,
        dir=dir,
        # One active run at a time, and it is `wandb.run`: integrations that log to the global
        # run (HF Trainer, Ultralytics) join ours. A notebook's training run is finished when
        # the sweep starts the first trial's run.
        reinit="finish_previous",
    )
    if mode != "online" or os.environ.get("WANDB_MODE"):
        # offline, disabled, or a mode the user chose: no fallback
        run = init(mode=mode, settings=wandb.Settings(silent=silent))
    else:
        try:
            # wandb waits 90 s by default; on stage a dead network should cost less than that.
            timeout = float(os.environ.get("WANDB_INIT_TIMEOUT", 45))
            run = init(mode="online", settings=wandb.Settings(init_timeout=timeout, silent=silent))
        except (wandb.errors.CommError, wandb.errors.AuthenticationError) as err:
            print(
                "[wb-demo] W&B 서버를 쓸 수 없어 오프라인으로 기록합니다 — "
                f"W&B server not usable ({type(err).__name__}: {str(err)[:120]}); "
                "recording offline instead."
            )
            run = init(mode="offline", settings=wandb.Settings(silent=silent))
    if silent:  # again: wandb.setup() inside the first wandb.init switched the info lines on
        wandb.termsetup(wandb.Settings(show_info=False), None)
    if run.disabled:
        return run
    name = run.name or run.id  # an offline run has no name until it is uploaded
    if run.offline:
        upload = sync_command(Path(run.sync_dir).parent)
        print(
            f"[wb-demo] W&B 오프라인 실행 / W&B offline run {name}: {run.sync_dir} — "
            f"업로드 / upload later: `{upload}`"
        )
    else:
        print(f"[wb-demo] W&B 실행 / W&B run {name}: {run.url}")
    return run


def verbose_requested(config: Any = None) -> bool:
    """`--verbose` (a config's `verbose` field) or WB_DEMO_VERBOSE=1: library banners stay on."""
    if os.environ.get("WB_DEMO_VERBOSE", "") not in ("", "0"):
        return True
    return bool(_config_dict(config).get("verbose"))
