"""The Colab twin's verdicts on a pip install, checked on pip's own words (no twin needed).

uv run --all-packages pytest tests/colab/test_twin_rules.py
"""

from __future__ import annotations

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


def test_only_the_allow_listed_conflict_passes():
    assert twin.install_problems({}, BANNER) == []
    adk = "google-adk 2.7.1 requires opentelemetry-api"
    numpy_conflict = BANNER.replace(adk, "cudf 26 requires numpy")
    problems = twin.install_problems({}, numpy_conflict)
    assert len(problems) == 1 and "cudf 26 requires numpy" in problems[0]
    # A banner whose lines we cannot parse still fails.
    assert twin.install_problems({}, BANNER.split("\n")[0]) == [
        "pip printed its resolver-conflict banner"
    ]


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
