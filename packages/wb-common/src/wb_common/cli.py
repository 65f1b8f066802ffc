"""`wb-demo`: 실행 기록 보기, 오프라인 실행과 대기 작업 업로드 / look at what a run recorded, and
upload offline runs with their queued work.

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

from wb_common.artifacts import replay_link
from wb_common.entry import argument_errors
from wb_common.pending import REFUSED, ReplayError, pending_actions, queue_problems, replay
from wb_common.readback import RecordedRun, find_run_dirs, read_run
from wb_common.registry import RegistryError, create_automation, list_versions, promote, rollback
from wb_common.report import replay_report
from wb_common.run import find_api_key

# The queue's actions (pending.ACTIONS) and the call that makes each once `wandb sync` uploaded.
REPLAYERS = {"link": replay_link, "report": replay_report}

NO_KEY = (
    "W&B API 키가 없습니다: `wandb login`을 실행하거나 WANDB_API_KEY를 설정하세요 — "
    "no W&B API key: run `wandb login` or set WANDB_API_KEY."
)


def missing_path(prog: str, path: Path) -> int | None:
    """A mistyped path is an error: one sentence (Korean, then English) and exit code 2."""
    if path.exists():
        return None
    print(f"{prog}: 경로가 없습니다: {path} — no such file or folder: {path}.", file=sys.stderr)
    return 2


def short_list(items: list[Any], limit: int = 8) -> str:
    """A list as written, or its count and first few when long (an own-data run has thousands)."""
    if len(items) <= limit:
        return repr(items)
    first = ", ".join(map(repr, items[:5]))
    return f"{len(items)}개 / {len(items)} items: [{first}, …]"


@dataclass
class Inspect:
    """실행 기록 요약 / Summarise what a run recorded: config, metrics, media, artifacts, queue."""

    run_dir: Annotated[Path, tyro.conf.Positional]  # 실행 폴더 / the run's folder


@dataclass
class Sync:
    """오프라인 실행 업로드 / Upload offline runs (`wandb sync`), then their queued links."""

    dir: Annotated[Path, tyro.conf.Positional] = Path("wandb")  # 실행 폴더 / runs' folder
    dry_run: bool = False  # 미리 보기만 / print the calls it would make and change nothing


@dataclass
class Report:
    """공유 스윕 마무리 / When every agent of a shared sweep is done: report, best model's link."""

    sweep: str
    """스윕 경로 / ENTITY/PROJECT/ID from the sweep's page (the agents joined with --sweep-id)"""


@dataclass
class Registry:
    """Registry 목록 / List the model registry: collections, versions, aliases, card metrics."""

    action: Annotated[Literal["list"], tyro.conf.Positional] = "list"  # 동작 / the action


@dataclass
class Promote:
    """프로덕션 승격 / Give `production` to a version (the deploy webhook fires), keep the old."""

    collection: Annotated[str, tyro.conf.Positional]  # 컬렉션 / e.g. cifar10-classifier
    version: Annotated[str, tyro.conf.Positional]  # 버전 / e.g. v3


@dataclass
class Rollback:
    """롤백 / Give `production` back to the version that held it before the last promotion."""

    collection: Annotated[str, tyro.conf.Positional]  # 컬렉션 / e.g. cifar10-classifier


@dataclass
class Automation:
    """W&B Automation 만들기·시험 / `create` the W&B Automation (`production` alias → webhook →
    GitHub Actions deploy), or `test` the GitHub half: send the Automation's body with
    $GITHUB_TOKEN (no W&B plan)."""

    action: Annotated[Literal["create", "test"], tyro.conf.Positional]  # 동작 / create or test
    entity: str  # 웹훅 소유 팀 / the team that owns the webhook integration (test: payload's)
    collection: str  # 컬렉션 / e.g. cifar10-classifier
    webhook: str = "github-dispatch"  # 웹훅 이름 / the webhook's name in Team settings → Webhooks
    repo: str = ""  # 저장소 / test: OWNER/REPO whose deploy-on-promotion workflow gets the dispatch
    version: str = "production"  # 버전 / test: the version named in the payload (an alias or vN)
    github_api: str = "https://api.github.com"  # GitHub 주소(https) / test: GitHub API


def summarize(run: RecordedRun) -> str:
    """A readable summary of a recorded run (what `wb-demo inspect` prints)."""
    lines = [
        f"run {run.run_id}  project={run.project}  group={run.group or '-'}  "
        f"job_type={run.job_type or '-'}  tags={','.join(run.tags) or '-'}",
        f"폴더 / folder: {run.path}",
        "설정 / config:",
        *(f"  {k} = {v!r}" for k, v in sorted(run.config.items())),
        "지표 (마지막 값, 점 개수) / metrics (last value, number of points):",
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
    lines.append("미디어·테이블 / media and tables:")
    lines += [f"  {k}: {v}" for k, v in media.items()] or ["  (없음 / none)"]
    lines.append("아티팩트 / artifacts:")
    for art in run.artifacts:
        if art.type.startswith("run_table"):
            continue
        files = short_list(sorted(art.files))
        lines.append(f"  {art.name} ({art.type}) files={files} aliases={short_list(art.aliases)}")
        if art.metadata:
            lines.append(f"    메타데이터 키 / metadata keys: {short_list(sorted(art.metadata))}")
    queued = pending_actions(run.path)
    lines.append(f"`wb-demo sync` 대기 / queued for `wb-demo sync`: {len(queued)}")
    lines += [f"  {a['action']}: {a.get('target') or a['spec']['title']}" for a in queued]
    lines += [f"  skipped: {problem}" for problem in queue_problems(run.path)]
    return "\n".join(lines)


def inspect_command(args: Inspect) -> int:
    if (code := missing_path("wb-demo inspect", args.run_dir)) is not None:
        return code
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
        f"wb-demo sync: 대기열의 {refused}개 항목이 자기 실행의 것이 아니거나(다른 실행, "
        "설정에 없는 컬렉션, production 별칭) 읽을 수 없는 대기열이라 거부했습니다(위 목록) — "
        f"{refused} queued "
        "item(s) named what their run does not own, or their queue file was unreadable, and were "
        "refused (listed above).",
        file=sys.stderr,
    )
    return 2


def sync_command(args: Sync) -> int:
    """Upload the offline runs, then replay each run's own queue (pending.replay: a line naming
    another run, an unconfigured collection or a protected alias is refused, never replayed)."""
    if (code := missing_path("wb-demo sync", args.dir)) is not None:
        return code
    run_dirs = [d for d in find_run_dirs(args.dir) if d.name.startswith("offline-run-")]
    if not run_dirs:
        print(
            f"wb-demo sync: {args.dir}에 오프라인 실행이 없습니다 — "
            f"no offline runs under {args.dir}."
        )
        return 0
    wandb_sync = [sys.executable, "-m", "wandb", "sync", *map(str, run_dirs)]
    if args.dry_run:
        return _sync_dry_run(run_dirs)
    if not find_api_key():
        print(f"wb-demo sync: {NO_KEY}", file=sys.stderr)
        return 2
    if subprocess.run(wandb_sync, check=False).returncode != 0:
        print(
            "wb-demo sync: `wandb sync`가 실패했고 대기 중인 연결과 리포트는 그대로입니다 — "
            "`wandb sync` failed; queued links and reports were kept.",
            file=sys.stderr,
        )
        return 1
    return _replay_queues(run_dirs)


def _sync_dry_run(run_dirs: list[Path]) -> int:
    """What `sync` would upload and replay; nothing is sent."""
    print("would run: wandb sync " + " ".join(map(str, run_dirs)))
    refused = 0
    for run_dir in run_dirs:
        for line in replay(run_dir, None, REPLAYERS, dry_run=True):  # bad lines: "skipped: ..."
            refused += line.startswith(REFUSED)
            print(f"{run_dir.name}: {line}")
    return _refused_note(refused) if refused else 0


def _replay_queues(run_dirs: list[Path]) -> int:
    """Replay each uploaded run's queue: 2 if a line was refused, 1 if an action failed."""
    import wandb

    api = wandb.Api()
    failed = refused = 0
    for run_dir in run_dirs:  # every run, every action: one failure stops nothing else
        try:
            lines = replay(run_dir, api, REPLAYERS)
        except ReplayError as err:
            lines, failed = err.lines, failed + len(err.failures)
        refused += sum(line.startswith(REFUSED) for line in lines)
        for line in lines:
            print(f"{run_dir.name}: {line}")
    if failed:
        print(
            f"wb-demo sync: 대기 작업 {failed}개가 실패해 대기열에 남았습니다(위 목록), "
            f"원인을 고친 뒤 다시 실행하세요 — {failed} queued action(s) failed (listed above); "
            "they stay queued: fix the cause and run it again.",
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
        f"GitHub가 디스패치를 받았습니다({status}), Actions 탭을 보세요 — GitHub accepted the "
        f"dispatch ({status}): the deploy-on-promotion workflow of {args.repo} starts for "
        f"{payload['artifact_version_string']}; see its Actions tab."
    )
    return 0


def registry_command(args: Registry | Promote | Rollback | Automation, api: Any = None) -> int:
    """The commands that need the W&B server; `api` is a `wandb.Api` (tests pass a double)."""
    if api is None:
        if not find_api_key():
            print(f"wb-demo: {NO_KEY}", file=sys.stderr)
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
            print(
                f"{args.collection}의 Automation {automation.name!r}이(가) 준비됐습니다 — "
                f"automation {automation.name!r} is in place for {args.collection}."
            )
    except RegistryError as err:
        print(f"wb-demo: {err}", file=sys.stderr)
        return 1
    return 0


def report_command(args: Report, api: Any = None, wr: Any = None) -> int:
    """`wb-demo report --sweep`; `api`/`wr` are `wandb.Api` / reports.v2 (tests pass doubles)."""
    from wb_common.sweep import SweepError, close_server_sweep

    if api is None and not find_api_key():
        print(f"wb-demo: {NO_KEY}", file=sys.stderr)
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
    with argument_errors("wb-demo"):  # a typo is one sentence, not tyro's English box
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
