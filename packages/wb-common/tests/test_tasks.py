"""The task table and the Registry's names: one home, read by every package and the viewer.

uv run --all-packages pytest packages/wb-common/tests/test_tasks.py -q
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from wb_common.card import MODEL_TYPES, ModelCard, ModelCardError
from wb_common.tasks import (
    TASKS,
    collection_for,
    project_name,
    registry_path,
    task,
    task_of_collection,
    task_of_model_type,
)

REPO = Path(__file__).resolve().parents[3]
WB_COMMON = REPO / "packages" / "wb-common" / "src" / "wb_common"


def test_each_task_has_its_project_model_type_and_collection():
    cls = TASKS["image-classification"]
    assert (
        cls.project == project_name("image-classification") == "wandb-e2e-demo-image-classification"
    )
    assert (cls.model_type, cls.collection) == ("classification", "cifar10-classifier")
    assert task_of_model_type("llm-lora").name == "llm-finetuning"
    assert task_of_collection("pet-segmenter").model_type == "segmentation"
    assert task_of_collection("pet-segmenter-smoke") is None
    assert set(MODEL_TYPES) == {t.model_type for t in TASKS.values()}
    assert (
        len({t.collection for t in TASKS.values()}) == len({t.label for t in TASKS.values()}) == 6
    )


def test_unknown_names_are_one_sentence():
    with pytest.raises(ValueError, match="unknown task 'image-cls'; expected one of: image-"):
        task("image-cls")
    with pytest.raises(ValueError, match="unknown model_type 'gan'"):
        task_of_model_type("gan")
    with pytest.raises(ModelCardError, match="model_type 'gan' is not one of classification"):
        ModelCard("gan", "x", "w.pth")


def test_registry_paths_in_every_form_the_sdk_and_the_webhook_use():
    assert registry_path("pet-segmenter") == "wandb-registry-model/pet-segmenter"
    assert (
        registry_path("pet-segmenter", entity="team", version="v3")
        == "team/wandb-registry-model/pet-segmenter:v3"
    )
    assert registry_path("x", version="production") == "wandb-registry-model/x:production"
    assert collection_for("pet-segmenter", smoke=True) == "pet-segmenter-smoke"
    assert collection_for("pet-segmenter-smoke", smoke=True) == "pet-segmenter-smoke"
    assert collection_for("pet-segmenter", smoke=False) == "pet-segmenter"


def _sources() -> list[Path]:
    roots = [REPO / "packages", REPO / "apps", REPO / "bench"]
    return [
        p
        for root in roots
        for p in root.rglob("*.py")
        if "/tests/" not in p.as_posix() and ".venv" not in p.parts
    ]


def _code_strings(path: Path) -> list[str]:
    """The string constants of a module's code, without docstrings (prose may name examples)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_a_collection_name_is_written_once_in_the_source():
    """Outside tests and docs, each collection's name is in wb_common/tasks.py and nowhere else
    (it was in five places: run.py, card.py, the viewer's payload and app, each Config)."""
    names = {t.collection for t in TASKS.values()}
    found: dict[str, list[str]] = {name: [] for name in names}
    for path in _sources():
        for text in _code_strings(path):
            for name in names:
                if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w])", text):
                    found[name].append(path.relative_to(REPO).as_posix())
    assert found == {name: ["packages/wb-common/src/wb_common/tasks.py"] for name in names}


def _imports(path: Path) -> set[str]:
    """The wb_common modules a module imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("wb_common.")
        ):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("wb_common.")}
    return out


def test_wb_common_modules_import_each_other_one_way():
    """No import circle, not even one hidden in a function (pending <-> report was one)."""
    graph = {p.stem: _imports(p) for p in WB_COMMON.glob("*.py") if p.stem != "__init__"}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", " -> ".join([*path, module])
        state[module] = "open"
        for dep in sorted(graph.get(module, ())):
            visit(dep, [*path, module])
        state[module] = "done"

    for module in sorted(graph):
        visit(module, [])
    assert "report" not in graph["pending"] and "artifacts" not in graph["pending"]


def test_importing_wb_common_loads_no_module_for_its_side_effect():
    """The queue's actions are written in pending.ACTIONS, not registered by importing their
    owners: before, wb_common/__init__.py imported artifacts and report so they would register."""
    tree = ast.parse((WB_COMMON / "__init__.py").read_text(encoding="utf-8"))
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
