"""The one precision rule every task package trains with.

uv run --package wb-common pytest packages/wb-common/tests/test_precision.py
"""

from __future__ import annotations

import pytest
from wb_common.precision import mixed_precision_for


@pytest.mark.parametrize(
    ("capability", "expected"),
    [(None, "no"), ((7, 0), "fp16"), ((7, 5), "fp16"), ((8, 0), "bf16"), ((9, 0), "bf16")],
)
def test_bf16_from_ampere_fp16_on_a_t4_fp32_on_cpu(capability, expected):
    assert mixed_precision_for(capability) == expected
