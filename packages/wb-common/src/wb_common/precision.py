"""Which mixed precision to train in, decided once for every task package.

bf16 where the GPU computes in it natively: torch's `is_bf16_supported(including_emulation=False)`,
compute capability 8.0 (Ampere) or newer. Emulation is left out on purpose: a T4 (7.5, Colab's free
GPU) can emulate bf16, so the default check says True there, but slowly; fp16 with loss scaling is
the right choice on it. CPUs train in fp32. Torch is imported when called: importing wb_common
stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def mixed_precision() -> str:
    """Accelerate's `mixed_precision` for this machine: "bf16", "fp16" (a T4), "no" (no GPU)."""
    import torch

    if not torch.cuda.is_available():
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"


def torch_dtype(precision: str) -> torch.dtype:
    """The dtype a `mixed_precision()` answer computes in: frozen weights, 4-bit compute."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}[precision]
