"""What notebook 07 (and anyone promoting by hand) decides before and watches after a promotion.

- `plan_promotion`: which registry version to promote, from the versions that exist — zero, one
  or many — among real models only (a `-smoke` collection is chosen only in smoke mode).
- `deploy_settings`: GITHUB_TOKEN, the repository and VIEWER_URL from Colab secrets (the 🔑
  panel) when present, else from the environment.
- `wait_for_workflow`: follow the GitHub Actions run that the webhook started, to its end,
  showing each status change.

Notebook 07 writes the registry calls (listing, alias moves, the Automation) in its cells;
`wb-demo promote | rollback | automation create` use wb_common.registry. This module only decides
and watches, so it is tested with doubles. It lives in wb-common, not beside its one caller,
because notebook 07 imports it after `pip install wb-common` (a notebook cannot import `apps/`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wb_common import github_http
from wb_common.colab import secret_or_env
from wb_common.payload import PRODUCTION_ALIAS
from wb_common.tasks import SMOKE_SUFFIX, TASKS, collection_for, task_of_collection

CLASSIFIER = TASKS["image-classification"].collection  # what notebook 01 and `cls-train` link
GITHUB_API = "https://api.github.com"


class PromotionError(RuntimeError):
    """Nothing can be promoted or watched; the message says why and what to do."""


def review_collection(*, smoke: bool, collection: str = CLASSIFIER) -> str:
    """The collection 07 reviews: the real one, or `<it>-smoke` in smoke mode only."""
    return collection_for(collection, smoke=smoke)


@dataclass(frozen=True)
class PromotionPlan:
    collection: str
    candidate: str | None  # the version to promote, e.g. "v3"; None when there is none
    production: str | None  # the version that holds `production` now (the rollback target)
    rows: list[tuple[str, str, float | None]]  # (version, aliases, metric) for the Table
    message: str  # one Korean sentence (+English) for the presenter
    metric: str  # what the rows' third column holds (compared_on)

    @property
    def can_roll_back(self) -> bool:
        return self.production is not None and self.production != self.candidate


def compared_on(collection: str) -> tuple[str, str]:
    """(metric, goal) the versions of `collection` are compared on: its task's sweep metric
    (wb_common.report.REPORT_FACTS; a `-smoke` twin as its task). A collection of no task
    (your own classifier, `<folder>-classifier`) is compared on val/acc, as cls-train logs it."""
    from wb_common.report import REPORT_FACTS

    task = task_of_collection(collection.removesuffix(SMOKE_SUFFIX))
    facts = REPORT_FACTS[task.name if task else "image-classification"]
    return facts.metric, facts.goal


def plan_promotion(
    versions: Iterable[Any], collection: str, *, smoke: bool = False
) -> PromotionPlan:
    """Choose the version to promote among `versions` (wb_common.registry.VersionInfo rows).

    Only versions of `collection` count; a `-smoke` collection only when `smoke` (toy models
    must never reach production). Zero versions: no candidate, a sentence saying how to make
    one. One: that one. More: the best by the collection's metric (`compared_on`: higher
    val/mean_iou, lower eval/perplexity) among those not already in production (the one in
    production is the rollback target), ties to the newer version.
    """
    metric, goal = compared_on(collection)
    sign = 1.0 if goal == "maximize" else -1.0
    if collection.endswith(SMOKE_SUFFIX) and not smoke:
        raise PromotionError(
            f"{collection}은 스모크(장난감) 모델 컬렉션이라 스모크 모드에서만 고릅니다. "
            f"{collection} holds smoke models: review it only in smoke mode."
        )
    mine = [v for v in versions if v.collection == collection]
    mine.sort(key=lambda v: int(v.version.lstrip("v") or 0))
    rows = [(v.version, ",".join(v.aliases) or "-", v.metrics.get(metric)) for v in mine]
    production = next((v.version for v in mine if PRODUCTION_ALIAS in v.aliases), None)
    if not mine:
        return PromotionPlan(collection, None, None, rows, metric=metric, message=(
            f"{collection}에 아직 버전이 없습니다: 이 작업의 노트북(01–06)이나 학습 명령으로 "
            f"모델을 학습해 연결한 뒤 다시 실행하세요. {collection} has no version yet: train and "
            "link one first."
        ))  # fmt: skip
    others = [v for v in mine if v.version != production] or mine

    def score(v: Any) -> tuple[float, int]:
        value = v.metrics.get(metric)
        ok = isinstance(value, (int, float)) and value == value  # NaN != NaN
        return (sign * value if ok else float("-inf"), int(v.version.lstrip("v") or 0))

    best = max(others, key=score)
    if best.version == production:
        message = (
            f"{collection}:{best.version}이 이미 {PRODUCTION_ALIAS}입니다 (버전이 하나뿐). "
            f"{collection}:{best.version} already holds {PRODUCTION_ALIAS}; nothing to promote."
        )
    else:
        value = best.metrics.get(metric)
        shown = f"{value:.4f}" if isinstance(value, (int, float)) else "기록 없음"
        message = (
            f"{collection}:{best.version}을 승격합니다 ({metric}={shown}, 버전 {len(mine)}개 중). "
            f"Promoting {collection}:{best.version} ({metric}={shown}, of {len(mine)} versions)."
        )
    return PromotionPlan(collection, best.version, production, rows, message, metric)


@dataclass(frozen=True)
class DeploySettings:
    github_token: str | None
    github_repo: str | None  # "owner/repo"
    viewer_url: str | None


def deploy_settings() -> DeploySettings:
    """GITHUB_TOKEN, WB_DEMO_GITHUB_REPO and VIEWER_URL: Colab secrets first, then environment."""
    return DeploySettings(
        github_token=secret_or_env("GITHUB_TOKEN"),
        github_repo=secret_or_env("WB_DEMO_GITHUB_REPO"),
        viewer_url=secret_or_env("VIEWER_URL"),
    )


def github_get(url: str, token: str) -> dict[str, Any]:
    """GET a GitHub API URL as JSON with the token: https:// only, no redirect followed, 200 only
    (wb_common.github_http); anything else is PromotionError with one sentence."""
    try:
        data = github_http.call(url, token, expected=200)
    except github_http.GitHubCallError as err:
        if err.status is None or err.redirect is not None or err.status < 400:
            raise PromotionError(str(err)) from None  # refused URL or redirect, no answer, 2xx
        raise PromotionError(
            f"GitHub API가 {err.status}로 거절했습니다 ({url}): 토큰의 저장소와 Actions 읽기 "
            f"권한을 확인하세요. GitHub answered {err.status}: check the token's repository "
            "and access."
        ) from None
    try:
        answer = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        answer = None
    if not isinstance(answer, dict):
        raise PromotionError(
            f"GitHub API의 응답이 JSON 객체가 아닙니다 ({url}). GitHub's answer is not a JSON "
            "object."
        )
    return answer


def wait_for_workflow(
    repo: str,
    token: str,
    *,
    since: str,
    get: Callable[[str, str], dict[str, Any]] = github_get,
    timeout: float = 240,
    interval: float = 5,
    heartbeat: float = 30,
    show: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    api_url: str = GITHUB_API,
) -> dict[str, Any]:
    """Follow the newest `repository_dispatch` workflow run created at or after `since` to its end.

    `since` is an ISO time ("2026-11-30T02:00:00Z"), taken just before the alias change. Shows
    each status change (queued → in_progress → completed/success), and a line with the seconds
    waited when nothing changed for `heartbeat` seconds, so a live audience never watches a
    silent cell; returns the finished run; raises PromotionError when none appears or it does
    not finish within `timeout` seconds.
    """
    url = f"{api_url}/repos/{repo}/actions/runs?event=repository_dispatch&per_page=5"
    start = clock()
    last, last_shown = None, start
    while True:
        runs = [r for r in get(url, token).get("workflow_runs", []) if r["created_at"] >= since]
        if runs:
            run = max(runs, key=lambda r: r["created_at"])
            state = f"{run['status']}" + (f"/{run['conclusion']}" if run.get("conclusion") else "")
            if state != last:
                show(
                    f"[GitHub Actions] {run.get('name', 'workflow')} #{run.get('run_number', '?')}"
                    f": {state}  {run.get('html_url', '')}"
                )
                last, last_shown = state, clock()
            if run["status"] == "completed":
                return run
        elif last is None:
            show(
                "[GitHub Actions] 웹훅이 시작할 워크플로 실행을 기다리는 중… (waiting for the run)"
            )
            last, last_shown = "waiting", clock()
        now = clock()
        if now - start >= timeout:
            raise PromotionError(
                f"{timeout:.0f}초 안에 워크플로가 끝나지 않았습니다: GitHub의 Actions 탭에서 "
                f"확인하세요. The workflow did not finish within {timeout:.0f} s (see Actions)."
            )
        if now - last_shown >= heartbeat:
            show(
                f"[GitHub Actions] {now - start:.0f}초째 기다리는 중 ({last}), "
                f"최대 {timeout:.0f}초. Still {last} after {now - start:.0f} s."
            )
            last_shown = now
        sleep(interval)
