"""The one precision rule every task package trains with: torch's own bf16 check, emulation out.

uv run --all-packages pytest packages/wb-common/tests/test_precision.py
"""

from __future__ import annotations

import types

import pytest
from wb_common.precision import mixed_precision, torch_dtype

torch = pytest.importorskip("torch")  # wb-common's dev group has it; its runtime does not


@pytest.fixture
def gpu(monkeypatch):
    """Make torch.cuda answer as a machine with one GPU of compute capability `major`.minor.

    Only the functions `torch.cuda.is_bf16_supported` reads are replaced, so the real check
    decides. `_check_bf16_tensor_supported` is its emulation probe: True, as a real T4 answers
    (it can make a bf16 tensor), so counting emulation would say bf16 on a T4.
    """

    def install(major: int | None, minor: int = 0) -> None:
        monkeypatch.setattr(torch.version, "hip", None)  # a CUDA build, not ROCm
        monkeypatch.setattr(torch.cuda, "is_available", lambda: major is not None)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        properties = types.SimpleNamespace(major=major, minor=minor, name="stand-in")
        monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: properties)
        monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: True)

    return install


@pytest.mark.parametrize(
    ("device", "major", "minor", "expected"),
    [
        ("A100 (Ampere)", 8, 0, "bf16"),
        ("H100 (Hopper)", 9, 0, "bf16"),
        ("T4 (Turing), Colab's free GPU: bf16 only emulated", 7, 5, "fp16"),
        ("V100 (Volta)", 7, 0, "fp16"),
        ("no GPU", None, 0, "no"),
    ],
)
def test_bf16_from_ampere_fp16_on_a_t4_fp32_on_cpu(gpu, device, major, minor, expected):
    gpu(major, minor)
    assert mixed_precision() == expected, device


def test_the_t4_emulates_bf16_and_still_trains_fp16(gpu):
    """What `including_emulation=False` is for: torch's default check says True on a T4."""
    gpu(7, 5)
    assert torch.cuda.is_bf16_supported() is True
    assert mixed_precision() == "fp16"


def test_each_precision_computes_in_its_own_dtype():
    """gen-train loads its frozen weights in it; llm-train gives it to bitsandbytes and TRL."""
    assert [torch_dtype(p) for p in ("no", "fp16", "bf16")] == [
        torch.float32,
        torch.float16,
        torch.bfloat16,
    ]
