"""The Automation's payload, as `wb-demo automation test` sends it, passes the deploy's validation.

uv run --all-packages pytest tests/test_automation_payload.py -q

Two members meet here: wb_common writes the webhook template and its filled example, the viewer
validates what arrives. Every task's collection is tried, from the task table.
"""

from __future__ import annotations

import json

import pytest
from viewer.payload import parse_payload
from wb_common.payload import dispatch_body, example_client_payload
from wb_common.tasks import TASKS


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_filled_template_of_every_collection_is_a_valid_promotion(task):
    collection = TASKS[task].collection
    payload = example_client_payload("acme", collection, "v3", "wb-demo-test")
    assert set(payload) == set(dispatch_body()["client_payload"])
    promotion = parse_payload(json.dumps(payload), {"acme"})
    assert (promotion.collection, promotion.version) == (collection, "v3")
    assert promotion.model_type == TASKS[task].model_type


def test_a_smoke_collection_is_not_deployable():
    payload = example_client_payload(
        "acme", TASKS["image-classification"].collection + "-smoke", "v3", "wb-demo-test"
    )
    with pytest.raises(ValueError, match="artifact_collection_name"):
        parse_payload(json.dumps(payload), {"acme"})
