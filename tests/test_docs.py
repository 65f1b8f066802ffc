"""The repository explains itself: it cites only documents it holds, and its docs/ links resolve.

uv run --all-packages pytest tests/test_docs.py
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()
# A project note cited by name (`SECURITY.md`, `README.md`): it must be a file the repository holds.
NOTE_NAME = re.compile(r"\b([A-Z][A-Z_]+\.md)\b")
# `docs/<name>.md` from the root, or `../../docs/<name>.md` from a README; not a URL's /docs/.
DOCS_PATH = re.compile(r"(?<![\w./:-])(?:\.\./)*(docs/[\w./-]+?\.md)\b")
# A relative Markdown link inside docs/: `[text](facts.md)`, `[text](facts.md#section)`.
MARKDOWN_LINK = re.compile(r"\]\((?!\w+://)([^)\s#]+\.md)(?:#[^)\s]*)?\)")


def tracked_texts() -> dict[str, str]:
    """Every file git tracks, decoded as UTF-8 (what is not text reads as nothing to find)."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    texts = {}
    for name in filter(None, (n.decode() for n in names)):
        path = ROOT / name
        if path.is_file():
            texts[name] = path.read_bytes().decode("utf-8", errors="ignore")
    assert texts, "git ls-files listed nothing"
    return texts


def outside_citations(texts: dict[str, str]) -> list[str]:
    """Lines naming a NOTE.md that no tracked file is called: a reader of a clone cannot open it."""
    held = {Path(name).name for name in texts}
    return [
        f"{name}:{number}: {line.strip()}"
        for name, text in texts.items()
        if name != SELF  # its sample below names a missing note on purpose
        for number, line in enumerate(text.splitlines(), start=1)
        if any(note not in held for note in NOTE_NAME.findall(line))
    ]


def broken_docs_links(texts: dict[str, str]) -> list[str]:
    broken = []
    for name, text in texts.items():
        if name == SELF:  # its samples below name missing docs on purpose
            continue
        targets = [ROOT / m for m in DOCS_PATH.findall(text)]
        if name.startswith("docs/") and name.endswith(".md"):
            targets += [(ROOT / name).parent / m for m in MARKDOWN_LINK.findall(text)]
        broken += [f"{name} -> {t.relative_to(ROOT)}" for t in targets if not t.is_file()]
    return broken


def test_no_file_cites_notes_the_repository_does_not_hold():
    found = outside_citations(tracked_texts())
    assert not found, "cite docs/ instead:\n" + "\n".join(found)


def test_every_docs_link_names_a_file_in_docs():
    texts = tracked_texts()
    assert {"docs/architecture.md", "docs/facts.md", "docs/tasks.md"} <= set(texts)
    broken = broken_docs_links(texts)
    assert not broken, "links to missing docs:\n" + "\n".join(broken)


def test_the_checks_find_what_they_look_for():
    """The patterns above are not vacuous: each finds its case, and leaves a URL alone."""
    sample = {
        "packages/x/README.md": "see [facts](../../docs/nowhere.md) and docs/facts.md\n"
        "https://docs.wandb.ai/guides/x.md, https://example.com/docs/y.md\n",
        "docs/a.md": "[b](missing.md) [c](facts.md#wandb) [d](https://example.com/z.md)\n",
        "src/m.py": "# see NOWHERE.md\n# see README.md\n# and NOTES_OF_OURS.md\n",
    }
    assert broken_docs_links(sample) == [
        "packages/x/README.md -> docs/nowhere.md",
        "docs/a.md -> docs/missing.md",
    ]
    sample["README.md"] = ""
    assert [c.split(":")[1] for c in outside_citations(sample)] == ["1", "3"]
