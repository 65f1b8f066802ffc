"""What every console script does with an error a user can cause: one sentence, exit code 2.

A bad flag, a missing dataset, no network, nothing to resume: the task's own error types carry a
sentence that says what to do (Korean, then English). The entry points print it and exit; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def run_or_exit(
    prog: str, fn: Callable[..., Any], *args: Any, errors: tuple[type[BaseException], ...]
) -> Any:
    """`fn(*args)`; on one of `errors`, print `prog: <sentence>` to stderr and exit with 2."""
    try:
        return fn(*args)
    except errors as err:
        print(f"{prog}: {err}", file=sys.stderr)
        sys.exit(2)
