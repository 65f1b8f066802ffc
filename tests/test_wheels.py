"""Every workspace member's wheel holds what the package needs at run time.

    uv run --all-packages pytest tests/test_wheels.py

Colab and Streamlit Cloud install the members with pip, from wheels: a file that lives beside the
package instead of inside it (the viewer's app once sat in `apps/viewer/app.py`, outside `src/`)
works in this checkout and is missing there. Each member's wheel is built with `uv build`
(hatchling, offline when uv's cache has it) and compared with the files git tracks under its
`src/`; then the viewer is run from its unpacked wheel alone, as a pip install would run it.
The same wheels show that no runtime member ships test code or depends on wb-testing, the
dev-only member that holds the tests' fixtures and test doubles.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted(
    p.parent for p in [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("apps/*/pyproject.toml")]
)


def _project(member: Path) -> dict:
    return tomllib.loads((member / "pyproject.toml").read_text())["project"]


def _name(member: Path) -> str:
    return _project(member)["name"]


# A dev-only member (wb-testing) says so with this classifier, which also makes PyPI refuse it.
TEST_ONLY = "Private :: Do Not Upload"
RUNTIME = [m for m in MEMBERS if TEST_ONLY not in _project(m).get("classifiers", [])]
# What test code imports or defines; a runtime wheel holds none of it.
TEST_IMPORTS = {"pytest", "_pytest", "wb_testing"}
REQUIRES = re.compile(r"^Requires-Dist: *([A-Za-z0-9._-]+)", flags=re.MULTILINE)
MOVED = {"wb_common/testing.py", "wb_common/doubles.py", "wb_common/interrupt.py"}  # to wb-testing


def _uv() -> str:
    for candidate in (Path(sys.executable).parent / "uv", Path.home() / ".local/bin/uv"):
        if candidate.exists():
            return str(candidate)
    return "uv"


def _build(member: Path, out: Path) -> Path:
    """uv build --wheel for one member; offline first (hatchling is usually cached)."""
    command = [_uv(), "build", "--wheel", "--package", _name(member), "-o", str(out), "--quiet"]
    proc = subprocess.run([*command, "--offline"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:  # a fresh cache: let uv fetch hatchling
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    normalized = _name(member).replace("-", "_")
    (wheel,) = out.glob(f"{normalized}-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    return {_name(member): _build(member, out) for member in MEMBERS}


def _tracked_runtime_files(member: Path) -> list[str]:
    """Files git tracks under the member's src/, as paths inside the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", "--", "src"], cwd=member, capture_output=True, text=True, check=True
    ).stdout.split()
    return [name.removeprefix("src/") for name in listed if (member / name).is_file()]


def test_members_are_found():
    assert {"wb-common", "viewer", "cls-train"} <= {_name(m) for m in RUNTIME}
    assert {_name(m) for m in MEMBERS} - {_name(m) for m in RUNTIME} == {"wb-testing"}


def find_test_code(wheel: zipfile.ZipFile) -> list[str]:
    """Each module of `wheel` that imports pytest or wb_testing, or defines a `*Double` class (the
    project's name for a test double), and each module that moved to wb-testing."""
    found = sorted(MOVED & set(wheel.namelist()))
    for name in (n for n in wheel.namelist() if n.endswith(".py")):
        for node in ast.walk(ast.parse(wheel.read(name), filename=name)):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported = [node.module]
            else:
                imported = []
            found += [f"{name} imports {m}" for m in imported if m.split(".")[0] in TEST_IMPORTS]
            if isinstance(node, ast.ClassDef) and node.name.endswith("Double"):
                found.append(f"{name} defines {node.name}")
    return found


def required(metadata: str) -> set[str]:
    """The distributions a wheel's METADATA requires (what pip installs with it), PEP 503 names."""
    return {re.sub(r"[-_.]+", "-", name).lower() for name in REQUIRES.findall(metadata)}


@pytest.mark.parametrize("member", RUNTIME, ids=lambda m: m.name)
def test_runtime_wheel_ships_no_test_code(member: Path, wheels: dict[str, Path]):
    """What pip brings to Colab holds no test code and does not pull wb-testing in."""
    with zipfile.ZipFile(wheels[_name(member)]) as wheel:
        found = find_test_code(wheel)
        (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        requires = required(wheel.read(metadata).decode())
    assert not found, f"{member.name}'s wheel holds test code: {found}"
    assert "wb-testing" not in requires, f"{member.name} depends on the test-only wb-testing"


def test_the_test_code_check_finds_test_code(tmp_path: Path):
    """The check above is not vacuous: a pytest import, a test double and a moved module."""
    path = tmp_path / "sample.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("wb_common/testing.py", "import pytest\n")
        wheel.writestr("x/a.py", "from wb_testing.fixtures import offline_wandb\n")
        wheel.writestr("x/b.py", "class ApiDouble:\n    pass\nimport _pytest.monkeypatch\n")
        wheel.writestr("x/c.py", "import os\nfrom .testing import y\nclass Doubles: ...\n")
    with zipfile.ZipFile(path) as wheel:
        assert find_test_code(wheel) == [
            "wb_common/testing.py",
            "wb_common/testing.py imports pytest",
            "x/a.py imports wb_testing.fixtures",
            "x/b.py defines ApiDouble",
            "x/b.py imports _pytest.monkeypatch",
        ]
    metadata = "Name: x\nRequires-Dist: wandb>=0.31\nRequires-Dist: WB_Testing; extra == 'dev'\n"
    assert required(metadata) == {"wandb", "wb-testing"}


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_wheel_holds_every_runtime_file(member: Path, wheels: dict[str, Path]):
    """Code, data (samples, fonts, smoke datasets) and the viewer's Streamlit app."""
    with zipfile.ZipFile(wheels[_name(member)]) as wheel:
        inside = set(wheel.namelist())
    expected = _tracked_runtime_files(member)
    assert expected, f"{member.name} tracks no files under src/"
    missing = sorted(set(expected) - inside)
    assert not missing, f"{member.name}'s wheel lacks {missing}"
    if member.name == "viewer":
        data = {
            "viewer/ui/streamlit_app.py",
            "viewer/samples/sample.mp4",
            "viewer/samples/sample.png",
        }
        assert data <= inside


def test_installed_viewer_finds_its_app_and_starts_it(wheels: dict[str, Path], tmp_path: Path):
    """The viewer and wb-common wheels unpacked (what pip installs) come first on sys.path: the
    rehearsal's `start_viewer` must find the app there and Streamlit must answer its health
    check; deployment.json then lives under the current folder, not in site-packages."""
    site = tmp_path / "site"
    for name in ("viewer", "wb-common"):
        with zipfile.ZipFile(wheels[name]) as wheel:
            wheel.extractall(site)
    script = """
import os, sys
from pathlib import Path
import viewer, viewer.ui
from viewer import deployment as dp
from viewer.rehearse import APP, start_viewer
from viewer.samples import SAMPLE_IMAGE, SAMPLE_VIDEO
site = Path(sys.argv[1])
assert Path(viewer.__file__).is_relative_to(site), viewer.__file__
assert APP == viewer.ui.APP and APP.is_relative_to(site) and APP.is_file(), APP
assert SAMPLE_IMAGE.is_file() and SAMPLE_VIDEO.is_file()
os.environ.pop(dp.HOME_ENV, None)
assert dp.default_home() == Path.cwd() / dp.INSTALLED_HOME, dp.default_home()
home = Path.cwd() / "home"
home.mkdir()
server, url = start_viewer(home, dict(os.environ))
server.terminate()
server.wait(timeout=30)
print("served", url)
"""
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("VIEWER_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "served http://127.0.0.1:" in proc.stdout
