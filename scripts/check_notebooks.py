"""Refuse notebooks that store an error output or anything that looks like a secret.

    python scripts/check_notebooks.py notebooks/*.ipynb      # what the pre-commit hook runs

Standard library only, so it runs in any Python, before `uv sync` and inside pre-commit.
A stored traceback on stage (or in a fork's first commit) is a bug report nobody filed; a key in
a notebook is a leaked key as soon as it is pushed, even if a later commit removes it.

The patterns follow each vendor's documented token shape:
- W&B API keys: 40 hex characters (on-prem keys add a `local-`-style prefix before them).
- GitHub: classic tokens `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 characters, fine-grained
  `github_pat_` + 82.
- Hugging Face: `hf_` + 34 letters and digits.
- AWS: access key ids `AKIA…`/`ASIA…` (20 characters) and a 40-character secret assigned to
  something named like `aws_secret_access_key`.
A line that really must carry such a string (a commit SHA in a pinned install URL, say) can say so
with `pragma: allowlist secret`, the marker detect-secrets uses.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "W&B API key": re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{40}(?![0-9A-Za-z])"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{34}\b"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    "AWS secret access key": re.compile(
        r"aws_?secret_?access_?key\W{1,6}[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])", re.IGNORECASE
    ),
}
ALLOW_MARKER = "pragma: allowlist secret"


def _text(value: object) -> str:
    """Notebook text fields are a string or a list of lines."""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else json.dumps(value)


def _cell_texts(cell: dict) -> Iterator[str]:
    yield _text(cell.get("source", ""))
    for output in cell.get("outputs", []):
        yield json.dumps(output, ensure_ascii=False)
    yield json.dumps(cell.get("metadata", {}), ensure_ascii=False)
    for attachment in cell.get("attachments", {}).values():
        yield json.dumps(attachment)


def find_secrets(text: str) -> list[str]:
    """Names of the secret kinds found in `text`, skipping lines marked as allowed."""
    found = []
    for line in text.splitlines():
        if ALLOW_MARKER in line:
            continue
        found += [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(line)]
    return found


def check_notebook(path: Path) -> list[str]:
    """Problems in one notebook, one sentence each; empty when it is clean."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{path}: not a readable notebook ({exc})"]
    problems = []
    for name in find_secrets(json.dumps(notebook.get("metadata", {}), ensure_ascii=False)):
        problems.append(f"{path}: notebook metadata holds something like a {name}")
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename = output.get("ename", "error")
                problems.append(f"{path}: cell {index} stores an error output ({ename})")
        for text in _cell_texts(cell):
            for name in find_secrets(text):
                problems.append(f"{path}: cell {index} holds something like a {name}")
    return sorted(set(problems), key=problems.index)


def main(argv: Iterable[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    problems = [problem for path in paths for problem in check_notebook(path)]
    for problem in problems:
        print(problem)
    if problems:
        print(
            "노트북에 오류 출력이나 비밀 값처럼 보이는 문자열이 있습니다: 출력을 지우고"
            " (Jupyter: Clear All Outputs) 키는 Colab 보안 비밀이나 환경 변수로 옮기세요.\n"
            "A notebook stores an error output or something that looks like a secret: clear the"
            " outputs and move keys to Colab secrets or environment variables.",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
