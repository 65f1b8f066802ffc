"""`run_or_exit`: a user's error ends in one sentence and exit code 2, a bug keeps its traceback.

uv run --all-packages pytest packages/wb-common/tests/test_entry.py -q
"""

from __future__ import annotations

import pytest
from wb_common.entry import run_or_exit


class BadFlag(ValueError):
    pass


def test_a_user_error_is_one_line_on_stderr_and_exit_2(capsys):
    def fail() -> None:
        raise BadFlag("--lr는 양수여야 합니다 — --lr must be positive.")

    with pytest.raises(SystemExit) as caught:
        run_or_exit("cls-train", fail, errors=(BadFlag,))
    assert caught.value.code == 2
    assert capsys.readouterr().err == "cls-train: --lr는 양수여야 합니다 — --lr must be positive.\n"


def test_other_errors_pass_through_and_results_are_returned():
    assert run_or_exit("x", lambda a, b: a + b, 2, 3, errors=(BadFlag,)) == 5
    with pytest.raises(ZeroDivisionError):
        run_or_exit("x", lambda: 1 / 0, errors=(BadFlag,))
