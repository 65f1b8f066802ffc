"""Notebook 07 online, against test doubles of the W&B API (wb_common.doubles; no server here).

Its cells run after the login cell with `ONLINE = True` and a registry holding zero, one or two
versions: the version chosen, the promotion (`aliases.append("production")` + `save()` through
`promote`), the Automation built in the cell, and the rollback. 07 once raised StopIteration
with one version and ValueError with none. The offline rehearsal runs in
tests/test_notebooks.py (`-k 07`).

uv run --all-packages pytest tests/test_notebook07.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import wandb
from wb_common.doubles import RegistryApiDouble
from wb_common.promotion import DeploySettings
from wb_common.registry import create_automation
from wb_common.testing import isolate_wandb

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_automations.ipynb"


def code_cells() -> list[str]:
    return [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]


def run_online(api: RegistryApiDouble, capsys) -> dict:
    """Every code cell after the login cell, in one namespace, as the kernel would run them."""
    cells = code_cells()
    login = next(i for i, src in enumerate(cells) if "resolve_mode(" in src)
    namespace = {
        "os": __import__("os"),
        "wandb": wandb,
        "ONLINE": True,
        "SMOKE": False,
        "api": api,
        "ENTITY": "demo-team",
        "COLLECTION": "cifar10-classifier",
        "settings": DeploySettings(None, None, None),
    }
    for source in cells[login + 1 :]:
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    namespace["output"] = capsys.readouterr().out
    return namespace


@pytest.fixture
def offline_runs(tmp_path, monkeypatch):
    isolate_wandb(monkeypatch, tmp_path)  # the review run records offline
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)


def test_zero_versions_skip_every_step_with_a_sentence(offline_runs, capsys):
    api = RegistryApiDouble("cifar10-classifier", [])
    ns = run_online(api, capsys)
    assert ns["candidate"] is None and api.created == []
    assert "아직 버전이 없습니다" in ns["output"]


def test_one_version_is_promoted_and_nothing_is_rolled_back(offline_runs, capsys):
    api = RegistryApiDouble("cifar10-classifier", [(["staging"], {"val/acc": 0.8})])
    ns = run_online(api, capsys)
    assert ns["candidate"] == "v0" and api.holder("production") == "v0"
    assert "롤백은 건너뜁니다" in ns["output"]


def test_two_versions_promote_the_better_then_roll_back(offline_runs, capsys):
    api = RegistryApiDouble(
        "cifar10-classifier",
        [(["production"], {"val/acc": 0.7}), (["staging"], {"val/acc": 0.9})],
        webhooks=("github-dispatch",),
    )
    ns = run_online(api, capsys)
    assert ns["candidate"] == "v1" and ns["previous"] == "v0"
    assert "is now production (was v0)" in ns["output"]
    # The rollback cell gave production back to v0; v1 keeps the way back.
    assert api.holder("production") == "v0" and api.holder("previous-production") == "v1"
    # The Automation written in the cell is the one `wb-demo automation create` makes.
    (made, kwargs), = api.created  # fmt: skip
    reference = RegistryApiDouble("cifar10-classifier", [], webhooks=("github-dispatch",))
    create_automation(reference, "demo-team", "cifar10-classifier", "github-dispatch")
    (expected, expected_kwargs), = reference.created  # fmt: skip
    assert made == expected
    assert kwargs["name"] == expected_kwargs["name"] and kwargs["fetch_existing"] is True


def test_the_taught_calls_are_written_in_the_cells():
    code = "\n".join(code_cells())
    for call in (
        "api.artifact(",
        # shown beside promote(), which runs exactly these two lines between its alias steps
        'artifact.aliases.append("production")',
        "artifact.save()",
        "promote(api, COLLECTION, candidate)",
        "OnAddArtifactAlias(",
        "SendWebhook.from_integration(",
        "event >> action",
        "api.create_automation(",
        "wait_for_workflow(",
        "show_port(",
        "deploy_settings()",
    ):
        assert call in code, f"07 does not write {call!r} in a cell"
    for name in ("GITHUB_TOKEN", "VIEWER_URL", "WB_DEMO_GITHUB_REPO"):
        assert f'os.environ.get("{name}")' not in code  # Colab secrets first: deploy_settings


def test_07_speaks_to_the_audience():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert "ROADMAP" not in text and "워크플로우" not in text
    assert text.index("별칭(alias)") == text.index("별칭")
