"""`wb-demo`: look at what a run recorded, and upload offline runs with their queued work.

uv run wb-demo inspect wandb/offline-run-20261126_101010-abcd1234
uv run wb-demo sync --dry-run          # what would be uploaded, linked and published
uv run wb-demo sync wandb/             # wandb sync, then the queued registry links and reports
uv run wb-demo report --sweep team/wandb-e2e-demo-image-classification/abc123   # shared sweep done
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

from wb_common.pending import REFUSED, ReplayError, pending_actions, queue_problems, replay
from wb_common.readback import RecordedRun, find_run_dirs, read_run
from wb_common.registry import RegistryError, create_automation, list_versions, promote, rollback
from wb_common.run import find_api_key


@dataclass
class Inspect:
    """Summarise what one run recorded: config, metrics, media, tables, artifacts, queued work."""

    run_dir: Annotated[Path, tyro.conf.Positional]


@dataclass
class Sync:
    """Upload offline runs (`wandb sync`), then make their queued registry links and reports."""

    dir: Annotated[Path, tyro.conf.Positional] = Path("wandb")
    dry_run: bool = False  # print the calls it would make and change nothing


@dataclass
class Report:
    """When every agent of a shared sweep is done: its comparison report, the best model's link."""

    sweep: str  # ENTITY/PROJECT/ID from the sweep's page (the agents joined it with --sweep-id)


@dataclass
class Registry:
    """List the model registry: collections, versions, aliases and their card metrics."""

    action: Annotated[Literal["list"], tyro.conf.Positional] = "list"


@dataclass
class Promote:
    """Give `production` to a version (the deploy webhook fires); keep the old one for rollback."""

    collection: Annotated[str, tyro.conf.Positional]
    version: Annotated[str, tyro.conf.Positional]  # e.g. v3


@dataclass
class Rollback:
    """Give `production` back to the version that held it before the last promotion."""

    collection: Annotated[str, tyro.conf.Positional]


@dataclass
class Automation:
    """`create` the W&B Automation (`production` alias → webhook → GitHub Actions deploy), or
    `test` the GitHub half: send the body the Automation sends, with $GITHUB_TOKEN (no W&B plan)."""

    action: Annotated[Literal["create", "test"], tyro.conf.Positional]
    entity: str  # the team that owns the webhook integration (test: the payload's entity)
    collection: str  # e.g. cifar10-classifier
    webhook: str = "github-dispatch"  # the webhook's name in Team settings → Webhooks
    repo: str = ""  # test: OWNER/REPO whose deploy-on-promotion workflow receives the dispatch
    version: str = "production"  # test: the version named in the payload (an alias or vN)
    github_api: str = "https://api.github.com"  # test: GitHub's API, https:// (Enterprise: yours)


def summarize(run: RecordedRun) -> str:
    """A readable summary of a recorded run (what `wb-demo inspect` prints)."""
    lines = [
        f"run {run.run_id}  project={run.project}  group={run.group or '-'}  "
        f"job_type={run.job_type or '-'}  tags={','.join(run.tags) or '-'}",
        f"folder: {run.path}",
        "config:",
        *(f"  {k} = {v!r}" for k, v in sorted(run.config.items())),
        "metrics (last value, number of points):",
    ]
    media: dict[str, str] = {}
    for key in sorted(k for k in run.history_keys if "." not in k):  # "a.b" keys are media parts
        values = run.metric(key)
        if all(isinstance(v, (int, float)) for v in values):
            lines.append(f"  {key} = {values[-1]:.4g}  ({len(values)})")
    for key in sorted({k.split(".")[0] for k in run.history_keys if "." in k}):
        last = run.media(key)[-1]
        kind = last.get("_type", "?")
        if kind == "table-file":
            kind = f"table {last.get('nrows')}x{last.get('ncols')}"
        layers = [name for name in ("masks", "boxes") if name in last]
        media[key] = kind + (f" with {'+'.join(layers)}" if layers else "")
    lines.append("media and tables:")
    lines += [f"  {k}: {v}" for k, v in media.items()] or ["  (none)"]
    lines.append("artifacts:")
    for art in run.artifacts:
        if art.type.startswith("run_table"):
            continue
        lines.append(f"  {art.name} ({art.type}) files={sorted(art.files)} aliases={art.aliases}")
        if art.metadata:
            lines.append(f"    metadata keys: {sorted(art.metadata)}")
    queued = pending_actions(run.path)
    lines.append(f"queued for `wb-demo sync`: {len(queued)}")
    lines += [f"  {a['action']}: {a.get('target') or a['spec']['title']}" for a in queued]
    lines += [f"  skipped: {problem}" for problem in queue_problems(run.path)]
    return "\n".join(lines)


def inspect_command(args: Inspect) -> int:
    try:
        run = read_run(args.run_dir)
    except (FileNotFoundError, RuntimeError) as err:
        print(f"wb-demo inspect: {err}", file=sys.stderr)
        return 2
    print(summarize(run))
    return 0


def _refused_note(refused: int) -> int:
    """Exit 2 with one sentence when a queue named what its run does not own (see pending)."""
    print(
        f"wb-demo sync: 큐의 {refused}개 항목이 자기 실행의 것이 아니거나(다른 실행, 설정에 없는 "
        f"컬렉션, production 별칭) 읽을 수 없는 큐라 거부했습니다(위 목록) — {refused} queued "
        "item(s) named what their run does not own, or their queue file was unreadable, and were "
        "refused (listed above).",
        file=sys.stderr,
    )
    return 2


def sync_command(args: Sync) -> int:
    """Upload the offline runs, then replay each run's own queue (pending.replay: a line naming
    another run, an unconfigured collection or a protected alias is refused, never replayed)."""
    run_dirs = [d for d in find_run_dirs(args.dir) if d.name.startswith("offline-run-")]
    if not run_dirs:
        print(f"wb-demo sync: no offline runs under {args.dir}.")
        return 0
    wandb_sync = [sys.executable, "-m", "wandb", "sync", *map(str, run_dirs)]
    if args.dry_run:
        print("would run: wandb sync " + " ".join(map(str, run_dirs)))
        refused = 0
        for run_dir in run_dirs:
            for line in replay(run_dir, api=None, dry_run=True):  # bad lines: "skipped: ..."
                refused += line.startswith(REFUSED)
                print(f"{run_dir.name}: {line}")
        return _refused_note(refused) if refused else 0
    if not find_api_key():
        print(
            "wb-demo sync: no W&B API key — run `wandb login` or set WANDB_API_KEY, then retry.",
            file=sys.stderr,
        )
        return 2
    if subprocess.run(wandb_sync, check=False).returncode != 0:
        print(
            "wb-demo sync: `wandb sync` failed; queued links and reports were kept.",
            file=sys.stderr,
        )
        return 1

    import wandb

    api = wandb.Api()
    failed = refused = 0
    for run_dir in run_dirs:  # every run, every action: one failure stops nothing else
        try:
            lines = replay(run_dir, api=api)
        except ReplayError as err:
            lines, failed = err.lines, failed + len(err.failures)
        refused += sum(line.startswith(REFUSED) for line in lines)
        for line in lines:
            print(f"{run_dir.name}: {line}")
    if failed:
        print(
            f"wb-demo sync: {failed} queued action(s) failed (listed above); they stay queued — "
            "fix the cause and run it again.",
            file=sys.stderr,
        )
    if refused:
        return _refused_note(refused)
    return 1 if failed else 0


def automation_test_command(args: Automation, token: str | None = None) -> int:
    """`wb-demo automation test --repo OWNER/REPO`: the Automation's POST, sent from here."""
    import os

    from wb_common.github_http import GitHubCallError, check_api_url
    from wb_common.payload import DispatchError, example_client_payload, send_test_dispatch

    try:
        check_api_url(args.github_api)  # before the token is read: http:// to a host is refused
    except GitHubCallError as err:
        print(f"wb-demo automation test: {err}", file=sys.stderr)
        return 2
    token = token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not args.repo or not token:
        print(
            "wb-demo automation test: --repo OWNER/REPO와 GITHUB_TOKEN(Contents: read & write)이 "
            "필요합니다 — needs --repo OWNER/REPO and a GITHUB_TOKEN with Contents: read & write.",
            file=sys.stderr,
        )
        return 2
    payload = example_client_payload(args.entity, args.collection, args.version, "wb-demo-test")
    try:
        status = send_test_dispatch(args.repo, token, payload, api_url=args.github_api)
    except DispatchError as err:
        print(f"wb-demo automation test: {err}", file=sys.stderr)
        return 1
    print(
        f"GitHub accepted the dispatch ({status}): the deploy-on-promotion workflow of {args.repo} "
        f"starts for {payload['artifact_version_string']} — see its Actions tab."
    )
    return 0


def registry_command(args: Registry | Promote | Rollback | Automation, api: Any = None) -> int:
    """The commands that need the W&B server; `api` is a `wandb.Api` (tests pass a double)."""
    if api is None:
        if not find_api_key():
            print(
                "wb-demo: no W&B API key — run `wandb login` or set WANDB_API_KEY.", file=sys.stderr
            )
            return 2
        import wandb

        api = wandb.Api()
    try:
        if isinstance(args, Registry):
            for v in list_versions(api):
                metrics = " ".join(f"{k}={val:.4g}" for k, val in sorted(v.metrics.items()))
                aliases = ",".join(v.aliases) or "-"
                print(f"{v.collection}:{v.version}  [{aliases}]  {metrics}  {v.run_path}")
        elif isinstance(args, Promote):
            print(promote(api, args.collection, args.version))
        elif isinstance(args, Rollback):
            print(rollback(api, args.collection))
        else:
            automation = create_automation(api, args.entity, args.collection, args.webhook)
            print(f"automation {automation.name!r} is in place for {args.collection}.")
    except RegistryError as err:
        print(f"wb-demo: {err}", file=sys.stderr)
        return 1
    return 0


def report_command(args: Report, api: Any = None, wr: Any = None) -> int:
    """`wb-demo report --sweep`; `api`/`wr` are `wandb.Api` / reports.v2 (tests pass doubles)."""
    from wb_common.sweep import SweepError, close_server_sweep

    if api is None and not find_api_key():
        print("wb-demo: no W&B API key — run `wandb login` or set WANDB_API_KEY.", file=sys.stderr)
        return 2
    try:
        close_server_sweep(args.sweep, api=api, wr=wr)
    except SweepError as err:
        print(f"wb-demo report: {err}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {
    "inspect": Inspect,
    "sync": Sync,
    "report": Report,
    "registry": Registry,
    "promote": Promote,
    "rollback": Rollback,
    "automation": Automation,
}


def main() -> None:
    args = tyro.extras.subcommand_cli_from_dict(COMMANDS, prog="wb-demo", description=__doc__)
    if isinstance(args, Inspect):
        sys.exit(inspect_command(args))
    if isinstance(args, Sync):
        sys.exit(sync_command(args))
    if isinstance(args, Automation) and args.action == "test":
        sys.exit(automation_test_command(args))
    if isinstance(args, Report):
        sys.exit(report_command(args))
    sys.exit(registry_command(args))
