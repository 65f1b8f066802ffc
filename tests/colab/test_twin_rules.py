"""The Colab twin's verdicts on a pip install, checked on pip's own words (no twin needed).

uv run --all-packages pytest tests/colab/test_twin_rules.py
"""

from __future__ import annotations

import ast

import nbformat
import twin  # tests/colab/twin.py (conftest.py puts it on the path)

# pip 24.1's banner as it appears in a notebook cell (coloured red, \r\n line ends, as captured
# in the twin), with Colab's google-adk.
BANNER = (
    "\x1b[31mERROR: pip's dependency resolver does not currently take into account all the "
    "packages that are installed. This behaviour is the source of the following dependency "
    "conflicts.\n"
    "google-adk 2.7.1 requires opentelemetry-api<=1.42.1,>=1.39, but you have "
    "opentelemetry-api 1.45.2 which is incompatible.\x1b[0m\r\n"
)


def test_protected_packages_never_change():
    for name in twin.PROTECTED:
        problems = twin.install_problems({name: ("1.0", "0.9")}, "")
        assert problems and "must stay" in problems[0]


def test_allowed_upgrade_passes_and_others_fail():
    assert twin.install_problems({"wandb": ("0.28.1", "0.31.0")}, "") == []
    problems = twin.install_problems({"scipy": ("1.16.3", "1.17.0")}, "")
    assert problems == ["scipy changed 1.16.3 -> 1.17.0, not on ALLOWED_CHANGES"]


def test_an_error_line_in_the_rendered_install_output_fails():
    """The audience never sees pip's red block: even the allowed conflict, left raw, fails."""
    assert twin.install_problems({}, BANNER) == [
        "the install cell shows pip's \"ERROR: pip's dependency resolver does not currently take "
        "into account all the packages that are installed. This behaviour is the source of the "
        'following dependency conflicts."'
    ]
    assert twin.install_problems({}, "Successfully installed wb-common-0.1.0\n") == []


def test_only_the_allow_listed_conflict_passes():
    adk = "google-adk 2.7.1 requires opentelemetry-api"
    numpy_conflict = BANNER.replace(adk, "cudf 26 requires numpy")
    problems = twin.install_problems({}, numpy_conflict)
    assert any("cudf 26 requires numpy" in p for p in problems)
    # A banner whose lines we cannot parse still fails.
    assert "pip printed its resolver-conflict banner" in twin.install_problems(
        {}, BANNER.split("\n")[0]
    )


def install_cell_filter() -> dict:
    """The install cell's own pip-output filter (KNOWN_CONFLICT, pip_lines), run here as is."""
    path = sorted((twin.REPO_ROOT / "notebooks").glob("*.ipynb"))[0]
    notebook = nbformat.read(path, as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    (source,) = [s for s in code if "WB_DEMO_REPO" in s]
    wanted = {"KNOWN_CONFLICT", "pip_lines", "conflict_block"}
    body = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.Import)
        or getattr(node, "name", None) in wanted
        or any(getattr(t, "id", None) in wanted for t in getattr(node, "targets", []))
    ]
    namespace: dict = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


def rendered(lines: str) -> str:
    return "".join(install_cell_filter()["pip_lines"](lines.splitlines(keepends=True)))


def test_the_install_cell_shows_the_known_conflict_as_one_korean_line():
    pip_output = "Collecting wandb>=0.31\n" + BANNER + "Successfully installed wandb-0.31.0\n"
    shown = rendered(pip_output)
    assert "ERROR:" not in shown and "google-adk ↔ opentelemetry" in shown
    assert shown.startswith("Collecting wandb>=0.31\n")
    assert shown.endswith("Successfully installed wandb-0.31.0\n")
    assert twin.install_problems({}, shown) == []


def test_the_install_cell_keeps_any_other_conflict_verbatim_and_the_twin_fails_it():
    other = BANNER.replace("google-adk 2.7.1 requires opentelemetry-api", "cudf 26 requires numpy")
    shown = rendered(other)
    assert shown == other  # pip's words, untouched
    problems = twin.install_problems({}, shown)
    assert any(p.startswith("the install cell shows pip's") for p in problems)
    mixed = BANNER.replace(
        "\x1b[0m",
        "\ncudf 26 requires numpy<2, but you have numpy 2.1.3 which is incompatible.\x1b[0m",
    )
    assert "ERROR:" in rendered(mixed)  # a known conflict beside an unknown one: all shown


def test_the_cell_and_the_twin_allow_the_same_conflicts():
    known = install_cell_filter()["KNOWN_CONFLICT"]
    for dependent, requirement in twin.ALLOWED_CONFLICTS:
        assert known.search(f"{dependent} 2.7.1 requires {requirement}<=1.42.1")
    assert not known.search("google-adk 2.7.1 requires protobuf<5")


def test_building_a_dependency_from_source_fails():
    output = (
        "Building wheel for wb-common (pyproject.toml) ... done\n"
        "Building wheel for numpy (pyproject.toml)"
    )
    assert twin.install_problems({}, output) == ["pip built numpy from source"]


def test_changes_compare_colab_packages_only():
    before = {"wandb": "0.28.1", "numpy": "2.1.3", "wb-common": "0.1.0"}
    after = {"wandb": "0.31.0", "numpy": "2.1.3", "wb-common": "0.1.1", "sweeps": "0.2.0"}
    assert twin.changed_colab_packages(before, after) == {"wandb": ("0.28.1", "0.31.0")}


def test_twin_pins_colab_versions_of_our_tree():
    pins = dict(line.split("==") for line in twin.twin_requirements())
    assert pins["numpy"] == "2.1.3" and pins["torch"] == "2.11.0" and pins["wandb"] == "0.28.1"
    assert pins["ipykernel"] == "6.17.1" and pins["google-adk"] == "2.7.1"
    assert not any(name.startswith("nvidia-") for name in pins)
    assert not set(pins) & twin.OUR_PACKAGES
