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
