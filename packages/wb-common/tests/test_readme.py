"""wb-common's README names every module and what it owns, so a reader finds a fact's home; so
does wb-testing's, for the test-only modules that moved there.

uv run --all-packages pytest packages/wb-common/tests/test_readme.py
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGES = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("member", "module"), [("wb-common", "wb_common"), ("wb-testing", "wb_testing")]
)
def test_the_module_table_lists_every_module_once(member: str, module: str):
    readme = (PACKAGES / member / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE)
    modules = sorted(
        p.stem for p in (PACKAGES / member / "src" / module).glob("*.py") if p.stem != "__init__"
    )
    assert sorted(listed) == modules
