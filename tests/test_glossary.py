"""One Korean word per idea: docs/glossary.md is the list, and no notebook or README uses a word
the glossary rules out (its "쓰지 않는 말" column, read from the file itself).

    uv run --all-packages pytest tests/test_glossary.py
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from wb_common.tasks import TASKS

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
AVOID = "쓰지 않는 말"
TASK_WORDS = (
    "이미지 분류", "이미지 분할", "객체 탐지", "동영상 분류", "LLM 파인튜닝", "이미지 생성",
)  # fmt: skip


def glossary_rows() -> list[dict[str, str]]:
    """Every row of the glossary's tables, as {column header: cell}."""
    rows, header = [], None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


def avoided_words() -> dict[str, str]:
    """Each word the glossary rules out -> the word to write instead."""
    return {
        word.strip(): row["쓰는 말"]
        for row in glossary_rows()
        for word in row.get(AVOID, "").split(",")
        if word.strip()
    }


def texts() -> dict[str, str]:
    """The prose a reader sees: every notebook cell and every README in the repository."""
    found = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        found[path.name] = "\n".join(cell.source for cell in notebook.cells)
    for path in sorted(ROOT.glob("**/README.md")):
        if not {".venv", "node_modules", ".git"} & set(path.parts):
            found[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return found


def uses(text: str, word: str) -> bool:
    """`word` as a word of its own: "영상 분류" is not found inside "동영상 분류"."""
    return re.search(rf"(?<![가-힣]){re.escape(word)}", text) is not None


def test_the_glossary_names_one_word_per_task_and_smoke_mode():
    preferred = {row["쓰는 말"] for row in glossary_rows()}
    assert set(TASK_WORDS) | {"스모크 모드"} <= preferred
    for task in TASKS.values():  # the viewer and the CLI name tasks from this table
        assert any(task.label.startswith(word) for word in TASK_WORDS), task.label


def test_no_notebook_or_readme_uses_a_word_the_glossary_rules_out():
    avoided = avoided_words()
    assert {"세그멘테이션", "리허설 모드", "비디오 분류"} <= set(avoided)
    found = [
        f"{name}: '{word}' (write '{instead}')"
        for name, text in texts().items()
        for word, instead in avoided.items()
        if uses(text, word)
    ]
    assert not found, "\n".join(found)


def test_word_matching_respects_word_starts():
    assert uses("UCF-101 영상 분류", "영상 분류")
    assert not uses("UCF-101 동영상 분류", "영상 분류")
    assert uses("(세그멘테이션)", "세그멘테이션")
