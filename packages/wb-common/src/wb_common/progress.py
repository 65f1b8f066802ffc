"""A progress bar inside an epoch: on a terminal and in Colab, never in CI logs or piped output.

What tqdm's auto mode does, plus two rules: the notebook widget in Jupyter/Colab (the text bar
where ipywidgets is missing, instead of tqdm's warning) and the text bar elsewhere, where
`disable=None` turns it off when stderr is not a terminal. A notebook's stderr is not one, so
there it is switched on explicitly; CI (the `CI` variable) always turns it off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def in_notebook() -> bool:
    """True inside a Jupyter/Colab kernel (an IPython kernel is running this process)."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    kernel = get() if callable(get) else None
    return kernel is not None and "IPKernelApp" in getattr(kernel, "config", {})


def progress(iterable: Iterable[T], desc: str, *, main_process: bool = True) -> Iterable[T]:
    """`iterable` with a bar that clears itself at the end (the epoch's summary line stays)."""
    if not main_process or os.environ.get("CI", "") not in ("", "0", "false"):
        return iterable
    if not in_notebook():
        from tqdm import tqdm

        disable = None  # off when stderr is not a terminal
    else:
        disable = False
        try:
            import ipywidgets  # noqa: F401  (Colab has it; tqdm's widget needs it)
            from tqdm.notebook import tqdm
        except ImportError:  # a plain Jupyter without widgets: the text bar, not tqdm's warning
            from tqdm import tqdm
    return tqdm(iterable, desc=desc, leave=False, disable=disable, dynamic_ncols=True)
