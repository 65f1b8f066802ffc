"""Streamlit Community Cloud's install files agree with the uv dependencies.

    uv run --all-packages pytest apps/viewer/tests/test_requirements.py -q

Cloud installs requirements.txt with pip and packages.txt with apt; the uv lock is what tests and
laptops use. A dependency added to one and not the other breaks the deployed app only, so it is
checked here.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

VIEWER = Path(__file__).resolve().parents[1]
WB_COMMON = VIEWER.parents[1] / "packages" / "wb-common"
WORKSPACE_MEMBERS = {"wb-common", "cls-train", "seg-train", "det-train", "video-train"}


def _uv_dependencies() -> dict[str, Requirement]:
    deps = {}
    for project in (VIEWER, WB_COMMON):
        data = tomllib.loads((project / "pyproject.toml").read_text())
        for line in data["project"]["dependencies"]:
            req = Requirement(line)
            if canonicalize_name(req.name) not in WORKSPACE_MEMBERS:
                deps[canonicalize_name(req.name)] = req
    return deps


def _requirements_txt() -> tuple[dict[str, Requirement], list[str]]:
    reqs, options = {}, []
    for line in (VIEWER / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
        else:
            req = Requirement(line)
            reqs[canonicalize_name(req.name)] = req
    return reqs, options


def test_requirements_txt_lists_exactly_the_uv_dependencies():
    uv, (pip, _) = _uv_dependencies(), _requirements_txt()
    assert set(pip) == set(uv), (
        f"only in uv: {set(uv) - set(pip)}; only in pip: {set(pip) - set(uv)}"
    )
    for name, req in uv.items():
        assert pip[name].specifier == req.specifier, f"{name}: {pip[name]} vs {req}"


def test_torch_comes_from_the_cpu_wheel_index():
    _, options = _requirements_txt()
    assert options == ["--extra-index-url https://download.pytorch.org/whl/cpu"]


def test_the_tested_versions_satisfy_the_ranges():
    for name, req in _uv_dependencies().items():
        installed = importlib.metadata.version(name)
        assert req.specifier.contains(installed, prereleases=True), f"{name} {installed} vs {req}"


def test_packages_txt_has_the_system_libraries_opencv_needs():
    # ultralytics pulls opencv-python (not -headless), which links libGL and glib at import time.
    requires = importlib.metadata.requires("ultralytics") or []
    assert any(r.startswith("opencv-python") for r in requires)
    apt = (VIEWER / "packages.txt").read_text().split()
    assert {"libgl1", "libglib2.0-0"} <= set(apt)


def test_the_app_imports_no_task_package():
    """Of the workspace, apps import only wb-common (docs/architecture.md)."""
    import ast

    task_packages = {"cls_train", "seg_train", "det_train", "video_train", "llm_train", "gen_train"}
    sources = [VIEWER / "app.py", *sorted((VIEWER / "src" / "viewer").glob("*.py"))]
    assert len(sources) > 5
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & task_packages, f"{source.name}: {names}"
