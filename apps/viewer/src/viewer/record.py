"""Record a validated deployment entry on this checkout: the workflow's commit job.

    python -m viewer.record --entry deployment-entry.json [--home apps/viewer]

The deploy job downloads the promoted artifact and runs it (a smoke test) with the W&B key but no
write token; it hands over only the JSON entry `viewer-deploy --entry-out` wrote. The commit job
holds the write token, checks out the branch tip, and runs this: the entry is checked against the
manifest schema and the allow-listed collections, then written with the same lock and journal as
a local deploy (viewer.deployment.record). Nothing from the artifact runs here. A newer workflow
run's entry (higher `sequence`) is never replaced by an older one; the same version is a no-op.

Exit 0 and one line on stdout; exit 1 and one sentence on stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import tyro
from wb_common.tasks import registry_path

from viewer import deployment as dp
from viewer.payload import VERSION, PayloadError, load_collections


class RecordError(RuntimeError):
    """An entry that must not be recorded; one sentence."""


@dataclass
class Args:
    """Record a deployment entry written by `viewer-deploy --entry-out`."""

    entry: Path  # the JSON entry
    home: Path | None = None  # the viewer folder holding deployment.json (default: apps/viewer)


def read_entry(path: Path, home: Path | None = None) -> dp.Deployment:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise RecordError(
            f"배포 항목 {path}을(를) 읽을 수 없습니다 — cannot read the entry {path} "
            f"({type(err).__name__})."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        raise RecordError(
            f"파일 {path}은(는) 배포 항목이 아닙니다 — {path} is not a deployment entry."
        )
    try:
        entry = dp._parse_entry(data["model_type"], data)
    except dp.DeploymentError as err:
        raise RecordError(f"배포 항목이 올바르지 않습니다 — {err}") from None
    try:  # the repository's own list on the branch tip (collections.toml), as the deploy used
        collections = load_collections(home or dp.default_home())
    except PayloadError as err:
        raise RecordError(str(err)) from None
    if collections.get(entry.model_name) != entry.model_type:
        raise RecordError(
            f"컬렉션 {entry.model_name!r}은(는) {entry.model_type}의 컬렉션이 아닙니다 — "
            f"{entry.model_name!r} is not the collection of {entry.model_type}."
        )
    expected = "/" + registry_path(entry.model_name, version=entry.version)
    if not VERSION.fullmatch(entry.version) or not entry.artifact_path.endswith(expected):
        raise RecordError(
            f"아티팩트 경로 {entry.artifact_path!r}이(가) {entry.model_name}:{entry.version}"
            f"과(와) 맞지 않습니다 — {entry.artifact_path!r} does not match "
            f"{entry.model_name}:{entry.version}."
        )
    return entry


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(Args, args=argv, description=__doc__.split("\n\n")[0])
    try:
        home = args.home or dp.default_home()
        outcome = dp.record(home, read_entry(args.entry, home))
    except (RecordError, dp.DeploymentError) as err:
        print(f"viewer.record: {err}", file=sys.stderr)
        return 1
    said = "기록했습니다" if outcome.startswith("deployed ") else "바뀐 것이 없습니다"
    print(f"viewer.record: {said} — {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
