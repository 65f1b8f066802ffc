"""Which mixed precision to train in, decided once for every task package.

bf16 needs Ampere (compute capability 8.0) or newer. A T4 (7.5, Colab's free GPU) reports
`torch.cuda.is_bf16_supported()` True but only emulates it, slowly: there fp16 with loss scaling
is the right choice. CPUs train in fp32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def mixed_precision_for(capability: tuple[int, int] | None) -> str:
    """Accelerate's `mixed_precision` ("bf16" | "fp16" | "no") for a CUDA compute capability."""
    if capability is None:
        return "no"
    return "bf16" if capability >= (8, 0) else "fp16"


def torch_dtype(mixed_precision: str) -> torch.dtype:
    """The dtype a `mixed_precision_for` answer computes in: frozen weights, 4-bit compute."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}[mixed_precision]


def device_capability() -> tuple[int, int] | None:
    """The current CUDA device's compute capability, or None without a GPU."""
    import torch  # imported when called, so importing wb_common stays light

    return torch.cuda.get_device_capability() if torch.cuda.is_available() else None
