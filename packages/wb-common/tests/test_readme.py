"""wb-common's README names every module and what it owns, so a reader finds a fact's home.

uv run --all-packages pytest packages/wb-common/tests/test_readme.py
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1]


def test_the_module_table_lists_every_module_once():
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE)
    modules = sorted(
        p.stem for p in (PACKAGE / "src" / "wb_common").glob("*.py") if p.stem != "__init__"
    )
    assert sorted(listed) == modules
