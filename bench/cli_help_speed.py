"""`--help` of every console script, timed in a fresh process against `python -c pass`.

    uv run --all-packages python bench/cli_help_speed.py [--repeat 3]

Each command runs as `python -c "from MODULE import FUNC; sys.argv = [NAME, '--help']; FUNC()"`
in a new interpreter of this environment (what the console script does, without the launcher),
`--repeat` times; the table shows the median seconds and the ratio to the median of
`python -c pass` measured in the same loop, interleaved, so the machine's load moves both.
The heavy libraries are imported after parsing (tests/test_cli_help.py checks it), so the ratio
is the cost of tyro and the config modules alone.

Result (2026-12-07 05:10-05:23 UTC, 2 vCPUs shared with six other agents' test runs, load
average 13): `python -c pass` 0.09-0.11 s. After (`--repeat 3`): every `--help` 1.2-1.7 s,
13-18x the empty interpreter (wb-demo 1.16 s, 12.6x; cls-train 1.59 s, 17.3x). Before, the
same script with the previous sources first on PYTHONPATH (`--repeat 1`): cls-train 36.7 s
(341x), seg-train 55.2 s, video-train 52.1 s, llm-train 65.0 s, gen-train 84.8 s (787x),
det-train 6.5 s, wb-demo 6.6 s, viewer-deploy 5.9 s. Under this load the seconds are several
times an idle machine's; the ratio against `python -c pass` is the number to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from wb_testing.fixtures import console_scripts

ROOT = Path(__file__).resolve().parents[1]


def timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    scripts = console_scripts(ROOT)
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in scripts}
    for _ in range(repeat):
        for name, target in scripts.items():
            module, func = target.split(":")
            baseline.append(timed("pass"))
            argv = f"sys.argv = [{name!r}, '--help']"
            code = f"import sys; from {module} import {func}; {argv}; {func}()"
            times[name].append(timed(code))
    base = statistics.median(baseline)
    load = os.getloadavg()[0]
    print(f"python -c pass: {base:.3f} s (median of {len(baseline)}); load average {load:.1f}")
    print(f"{'command':<18} {'--help (s)':>10} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<18} {median:>10.2f} {median / base:>6.1f}x")


if __name__ == "__main__":
    main()
