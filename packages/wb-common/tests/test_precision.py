"""The one precision rule every task package trains with.

uv run --package wb-common pytest packages/wb-common/tests/test_precision.py
"""

from __future__ import annotations

import pytest
from wb_common.precision import mixed_precision_for, torch_dtype


@pytest.mark.parametrize(
    ("capability", "expected"),
    [(None, "no"), ((7, 0), "fp16"), ((7, 5), "fp16"), ((8, 0), "bf16"), ((9, 0), "bf16")],
)
def test_bf16_from_ampere_fp16_on_a_t4_fp32_on_cpu(capability, expected):
    assert mixed_precision_for(capability) == expected


def test_each_precision_computes_in_its_own_dtype():
    """gen-train loads its frozen weights in it; llm-train gives it to bitsandbytes and TRL."""
    torch = pytest.importorskip("torch")  # wb-common's dev group has it; its runtime does not
    assert [torch_dtype(p) for p in ("no", "fp16", "bf16")] == [
        torch.float32,
        torch.float16,
        torch.bfloat16,
    ]
