"""The promotion webhook's payload: the one place that names its fields.

A W&B Automation fires when a model version gets the `production` alias in a Registry
collection and POSTs `dispatch_body()` to GitHub's `repos/<owner>/<repo>/dispatches` endpoint.
W&B fills the `${...}` variables (https://docs.wandb.ai/guides/automations/); GitHub starts the
`deploy-on-promotion` workflow with the event type below, and the workflow hands
`client_payload` to `viewer-deploy` as data. The automation template (`wb-demo automation
create`), the workflow and `viewer-deploy` all take the field names from here.
"""

from __future__ import annotations

from typing import Any

from wb_common.tasks import registry_path, registry_project

# The repository_dispatch event type the workflow listens for (`on.repository_dispatch.types`).
DISPATCH_EVENT_TYPE = "wandb-model-promoted"

# client_payload field -> the W&B automation payload variable that fills it.
FIELDS: dict[str, str] = {
    "event_type": "${event_type}",
    "event_author": "${event_author}",
    "alias": "${alias}",
    "entity_name": "${entity_name}",
    "project_name": "${project_name}",
    "artifact_collection_name": "${artifact_collection_name}",
    "artifact_version_string": "${artifact_version_string}",
}

PRODUCTION_ALIAS = "production"


def dispatch_body() -> dict[str, Any]:
    """The JSON body the W&B webhook posts to GitHub's `/dispatches` endpoint."""
    return {"event_type": DISPATCH_EVENT_TYPE, "client_payload": dict(FIELDS)}


def example_client_payload(entity: str, collection: str, version: str, author: str) -> dict:
    """`client_payload` as W&B fills the template when `version` gets `production`."""
    values = {
        "${event_type}": "ADD_ARTIFACT_ALIAS",
        "${event_author}": author,
        "${alias}": PRODUCTION_ALIAS,
        "${entity_name}": entity,
        "${project_name}": registry_project(),
        "${artifact_collection_name}": collection,
        "${artifact_version_string}": registry_path(collection, entity=entity, version=version),
    }
    return {field: values[template] for field, template in FIELDS.items()}


class DispatchError(RuntimeError):
    """GitHub did not accept the dispatch; one sentence."""


GITHUB_API = "https://api.github.com"
_REPO = r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}"


def send_test_dispatch(
    repo: str, token: str, client_payload: dict, api_url: str = GITHUB_API, timeout: float = 15
) -> int:
    """POST the Automation's body to `repos/<repo>/dispatches`, as the W&B webhook would.

    Checks the GitHub half of the chain without a W&B plan that has webhook automations: the
    deploy workflow starts exactly as it would for a real promotion. Returns GitHub's status
    (204, the only success); raises DispatchError with one sentence otherwise — a redirect is
    refused, not followed, and `api_url` must be https:// (wb_common.github_http). The token is
    sent only in the Authorization header of that one request, never printed.
    """
    import json
    import re

    from wb_common.github_http import GitHubCallError, call

    if not re.fullmatch(_REPO, repo) or ".." in repo:
        raise DispatchError(f"--repo must be OWNER/REPO, got {repo!r}.")
    body = {"event_type": DISPATCH_EVENT_TYPE, "client_payload": client_payload}
    url = f"{api_url.rstrip('/')}/repos/{repo}/dispatches"
    try:
        call(url, token, expected=204, method="POST", body=json.dumps(body).encode("utf-8"),
             timeout=timeout)  # fmt: skip
    except GitHubCallError as err:
        hint = {
            401: ("토큰이 유효하지 않습니다", "the token is not valid"),
            403: (
                "토큰에 이 저장소의 Contents 읽기·쓰기 권한이 없습니다",
                "the token lacks Contents: read & write on this repository",
            ),
            404: (
                "저장소가 없거나 토큰이 볼 수 없습니다",
                "no such repository, or the token cannot see it",
            ),
            422: ("GitHub가 본문을 거절했습니다", "GitHub rejected the body"),
        }.get(err.status)
        if hint is None or err.redirect is not None:
            raise DispatchError(str(err)) from None
        raise DispatchError(
            f"GitHub가 {repo} 디스패치에 {err.status}로 답했습니다: {hint[0]}. "
            f"GitHub answered {err.status} for {repo}: {hint[1]}."
        ) from None
    return 204
