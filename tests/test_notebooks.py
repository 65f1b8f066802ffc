"""Every notebook executes top to bottom in smoke mode (WB_DEMO_SMOKE=1), offline, on the CPU.

    uv run --all-packages pytest tests/test_notebooks.py -k 01

Each notebook runs in a fresh kernel of this environment, in an empty working folder, with W&B
isolated exactly as the package tests isolate it (no key, no network, folders under tmp). After the
run, `notebook_checks.check_recorded` reads back what W&B recorded: the keys, media, tables and
artifacts the notebook teaches, and the Registry links it queued.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import importlib
import os
import socket
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from wb_testing.api_doubles import key_rejecting_server
from wb_testing.fixtures import isolate_wandb

sys.path.insert(0, str(Path(__file__).parent))
from notebook_checks import (
    EXPECTED,
    check_recorded,
    quiet_sweep_problems,
    warning_problems,
)

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
TASK_NOTEBOOKS = [p for p in NOTEBOOKS if p.stem in EXPECTED]
# Set by .ci/run, which then runs the Colab twin (tests/colab): there every notebook executes on
# Colab's Python and packages with the same checks, so executing them here too only costs time.
IN_TWIN = "WB_DEMO_NOTEBOOKS_IN_TWIN"
PACKAGES = {
    "01": "cls_train",
    "02": "seg_train",
    "03": "det_train",
    "04": "video_train",
    "05": "llm_train",
    "06": "gen_train",
}


def execute(notebook: nbformat.NotebookNode, workdir: Path) -> str | None:
    """Run every cell in a fresh kernel; None when all ran, else which cell raised and how.

    nbclient stops at the first cell that raises (CellExecutionError) after storing that cell's
    error output, so the cell is found from the outputs and its first lines are shown.
    """
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    try:
        client.execute()
    except CellExecutionError as err:
        return f"{_failing_cell(notebook)}\n\n{str(err)[-3000:]}"
    return None


def _failing_cell(notebook: nbformat.NotebookNode) -> str:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                head = "\n".join(cell.source.splitlines()[:6])
                return (
                    f"cell {index} raised {output.get('ename')}: {output.get('evalue')}\n"
                    f"--- cell {index} ---\n{head}"
                )
    return "no cell recorded an error output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
@pytest.mark.skipif(
    os.environ.get(IN_TWIN) == "1",
    reason="this CI run executes every notebook in the Colab twin lane, with the same checks",
)
def test_notebook_executes_in_smoke_mode(path: Path, tmp_path: Path, monkeypatch):
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.delenv("WANDB_SILENT")  # W&B prints in each cell what it prints on stage
    monkeypatch.setenv("WB_DEMO_SMOKE", "1")
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    failure = execute(notebook, tmp_path)
    assert failure is None, f"{path.name}: {failure}"
    problems = check_recorded(path.stem, tmp_path) + quiet_sweep_problems(path.stem, notebook)
    problems += warning_problems(path.stem, notebook)
    assert not problems, "\n".join(problems)


def test_a_failing_cell_is_named_and_stops_the_run(tmp_path: Path):
    """The failure path above, for real: the cell that raised is named, later cells never run."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("# the broken cell\nraise ValueError('boom')"),
            nbformat.v4.new_code_cell("(open('ran-after', 'w'))"),
        ]
    )
    failure = execute(notebook, tmp_path)
    assert failure is not None and failure.startswith("cell 1 raised ValueError: boom")
    assert "# the broken cell" in failure
    assert not (tmp_path / "ran-after").exists()
    assert execute(nbformat.v4.new_notebook(cells=[notebook.cells[0]]), tmp_path) is None


def sweep_cell_showing(*outputs) -> nbformat.NotebookNode:
    """A notebook whose sweep cell (it calls wandb.agent) showed `outputs` when it ran."""
    cell = nbformat.v4.new_code_cell("wandb.agent(sweep_id, function=trial, count=2)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text) for text in outputs]
    return nbformat.v4.new_notebook(cells=[cell])


def test_the_quiet_sweep_check_holds_every_sweep_notebook_05_included():
    """05's sweep cell is checked like the others: a warning fails it; the Trainer's progress
    table may show once per trial, not more."""
    trials = "시도 1/2: lr=1e-4 → eval/perplexity 9.0\n시도 2/2: lr=2e-4 → eval/perplexity 8.0\n"
    table = "<IPython.core.display.HTML object>\n"
    quiet = sweep_cell_showing(table + trials + "[wb-demo] 최고 시도\n")
    assert quiet_sweep_problems("05_llm_finetuning", quiet) == []
    warned = sweep_cell_showing(trials + "UserWarning: padding side\n")
    assert quiet_sweep_problems("05_llm_finetuning", warned)
    assert quiet_sweep_problems("05_llm_finetuning", sweep_cell_showing(table * 3 + trials))


def test_the_warning_check_reads_every_cell_but_the_install_cells_pip_output():
    """07 must show no warning; the install cell's lines are pip's and git's (a local clone in
    the Colab twin prints git's "warning: filtering not recognized"), checked by the twin."""
    install = nbformat.v4.new_code_cell("REPO = os.environ.get('WB_DEMO_REPO')")
    install.outputs = [nbformat.v4.new_output("stream", text="warning: filtering not recognized\n")]
    later = nbformat.v4.new_code_cell("served_version(HOME)")
    later.outputs = [nbformat.v4.new_output("stream", name="stderr", text="WARNING streamlit: x\n")]
    notebook = nbformat.v4.new_notebook(cells=[install, later])
    assert warning_problems("07_automations", notebook) == [
        "07_automations showed a warning: WARNING streamlit: x"
    ]
    assert warning_problems("01_image_classification", notebook) == []  # 07 only


@contextlib.contextmanager
def closed_port_url():
    """A W&B_BASE_URL on 127.0.0.1 where nothing listens: a dead network, refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


def cells_through(path: Path, marker: str) -> nbformat.NotebookNode:
    """The notebook's code cells up to and including the first one that contains `marker`."""
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    last = next(i for i, c in enumerate(code) if marker in c.source)
    notebook.cells = code[: last + 1]
    return notebook


def run_cells(notebook: nbformat.NotebookNode, workdir: Path) -> str:
    """Execute every cell (errors kept as outputs), each within 120 s; all outputs as text."""
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})  # fmt: skip
    client.execute()
    text = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text.append(output.get("text", ""))
            text.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
            text += output.get("traceback", [])
            text += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(text)


def _stage_env(monkeypatch, tmp_path: Path, base_url: str, path: Path) -> None:
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.delenv("WANDB_SILENT")  # W&B prints in each cell what it prints on stage
    if path in TASK_NOTEBOOKS:  # small data; a key still makes it online (07: smoke = no server)
        monkeypatch.setenv("WB_DEMO_SMOKE", "1")
    monkeypatch.setenv("WANDB_API_KEY", "wrong-key-" + "x" * 30)  # 40 characters, not a key
    monkeypatch.setenv("WANDB_BASE_URL", base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.chdir(tmp_path)


LOGIN_MARKER = "wandb.login("


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_wrong_key_stops_at_the_login_cell_with_one_korean_sentence(path, tmp_path, monkeypatch):
    """Test double (401 server): the login cell names the fix in Korean and stops, no traceback."""
    with key_rejecting_server() as url:
        _stage_env(monkeypatch, tmp_path, url, path)
        notebook = cells_through(path, LOGIN_MARKER)
        text = run_cells(notebook, tmp_path)
    assert "Traceback" not in text, text[-3000:]
    assert "W&B 서버가 이 API 키를 거부해 여기서 멈춥니다" in text, text[-3000:]
    assert "https://wandb.ai/authorize" in text
    # Stopped cleanly: "Run all" stops at the login cell, which shows the sentence and nothing else.
    error = notebook.cells[-1].outputs[-1]
    assert error.get("ename") == "NotebookStop" and error["traceback"] == [error["evalue"]], text
    assert not [o for o in notebook.cells[-1].outputs if o.get("name") == "stderr"], text
    assert "WARNING" not in text, text  # wandb warns when the key is written in the call


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_dead_server_goes_on_offline_with_one_korean_sentence(path, tmp_path, monkeypatch):
    """WANDB_BASE_URL on a closed port: one Korean sentence, then the run records offline."""
    with closed_port_url() as url:
        _stage_env(monkeypatch, tmp_path, url, path)
        marker = "wandb.init(" if path in TASK_NOTEBOOKS else LOGIN_MARKER
        notebook = cells_through(path, marker)
        text = run_cells(notebook, tmp_path)
    assert "Traceback" not in text, text[-3000:]
    assert "에 닿지 않아" in text and "오프라인으로 계속 기록합니다" in text, text[-3000:]
    errors = [o for c in notebook.cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, text[-3000:]
    if path in TASK_NOTEBOOKS:
        assert list((tmp_path / "runs" / "wandb").glob("offline-run-*")), "no offline run"


def test_a_network_lost_after_login_makes_the_init_cell_go_offline(tmp_path, monkeypatch):
    """The server answered at login, then died: `wandb.init` fails into one sentence, offline."""
    path = TASK_NOTEBOOKS[0]
    with closed_port_url() as url:
        _stage_env(monkeypatch, tmp_path, url, path)
        notebook = cells_through(path, "wandb.init(")
        # As if the login cell had found the server: the mode is online when the init cell runs.
        notebook.cells.insert(
            -1,
            nbformat.v4.new_code_cell(
                'MODE, ONLINE = "online", True\nos.environ.pop("WANDB_MODE", None)'
            ),
        )
        text = run_cells(notebook, tmp_path)
    assert "Traceback" not in text, text[-3000:]
    assert "오프라인으로 계속 기록합니다" in text, text[-3000:]
    assert list((tmp_path / "runs" / "wandb").glob("offline-run-*")), text[-3000:]


def test_the_login_and_init_cells_are_the_same_in_every_notebook():
    """One login cell and one init block to read and fix: only the comments differ."""

    def logic(source: str) -> str:
        return "\n".join(line.split("  #")[0].rstrip() for line in source.splitlines())

    fallback = "run = wandb.init(**run_args, mode=MODE)"
    logins, inits = set(), set()
    for path in TASK_NOTEBOOKS:
        code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        logins.add(logic(next(s for s in code if LOGIN_MARKER in s)))
        init = next(s for s in code if "wandb.init(" in s)
        assert fallback in init, f"{path.name}: the init cell lost its offline fallback"
        inits.add(logic(init[init.index("\ntry:") : init.index(fallback) + len(fallback)]))
    assert len(logins) == 1, logins
    assert len(inits) == 1, inits


def _code(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def _sweep_literal(code: str) -> dict:
    """The dict assigned to `sweep_config = {...}` in the notebook's code."""
    # IPython magics (`%pip`, `!cmd`) are not Python: a `pass` in their place keeps the blocks.
    lines = [
        line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip()[:1] in ("%", "!") else line
        for line in code.splitlines()
    ]
    for node in ast.walk(ast.parse("\n".join(lines))):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["sweep_config"]
            and isinstance(node.value, ast.Dict)
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("no `sweep_config = {...}` literal in the notebook")


@pytest.mark.parametrize("path", TASK_NOTEBOOKS, ids=[p.stem for p in TASK_NOTEBOOKS])
def test_notebook_writes_the_taught_calls_and_the_package_sweep(path: Path):
    """The API being taught is in the cells, and the sweep dict there is the CLI's SWEEP_CONFIG."""
    code = _code(path)
    for call in (
        "wandb.init(",
        "config=dataclasses.asdict(cfg)",
        "wandb.Artifact(",
        "run.log_artifact(",
        "run.link_artifact(",
        "wandb.sweep(sweep_config",
        "wandb.agent(",
        "wr.Report(",
        "FULL_RUN = False",
    ):
        assert call in code, f"{path.name} does not write {call!r} in a cell"
    assert "start_run(" not in code and "run_sweep(" not in code  # no hidden init or sweep
    # The trial as W&B's docs write it: its own wandb.init(), parameters read from run.config.
    trial = code.split("def trial():", 1)[-1].split("\n\n\n", 1)[0]
    assert "def trial():" in code and "wandb.init(" in trial, f"{path.name}: no canonical trial"
    assert "run.config[" in trial and "train(" in trial, f"{path.name}: trial ignores run.config"
    assert "wandb.agent(sweep_id, function=trial, count=count)" in code
    assert "agent_trial(" not in code and "project=" not in trial  # no "Ignoring project"
    sweep = importlib.import_module(f"{PACKAGES[path.stem[:2]]}.sweep")
    assert _sweep_literal(code) == sweep.SWEEP_CONFIG, f"{path.name}'s sweep dict drifted"
    # After the agent ran, the training run is torn down: finish it before, never after.
    after_agent = code.split("wandb.agent(", 1)[1]
    assert "run.finish()" not in after_agent, f"{path.name} calls run.finish() after wandb.agent"


BUDGET = {  # the fields that decide how long a run takes, per package
    "cls_train": ("epochs", "max_train_samples"),
    "seg_train": ("epochs", "max_train_samples"),
    "det_train": ("epochs",),
    "video_train": ("epochs",),
    "llm_train": ("max_train_samples", "eval_samples"),
    "gen_train": ("train_steps",),
}


@pytest.mark.parametrize("package", sorted(BUDGET))
def test_demo_presets_shrink_the_run_and_keep_a_valid_sweep(package: str):
    """The notebook's default: demo run < full run, live trial < demo run, a sweep W&B accepts."""
    from wb_common.sweep import check_sweep_config

    config = importlib.import_module(f"{package}.config")
    sweep = importlib.import_module(f"{package}.sweep")
    full = config.Config()
    demo = config.demo_config(full)
    trial = config.demo_trial_config(demo)

    def budget(cfg) -> tuple:
        return tuple(getattr(cfg, name) or 10**9 for name in BUDGET[package])  # None = all data

    assert budget(demo) <= budget(full) and budget(demo) != budget(full)
    assert budget(trial) <= budget(demo) and budget(trial) != budget(demo)
    assert not demo.smoke and not trial.smoke and demo.collection == full.collection
    live = config.demo_sweep_config(sweep.SWEEP_CONFIG)
    fields = [f.name for f in dataclasses.fields(config.Config)]
    check_sweep_config(live, fields)
    assert set(live["parameters"]) == set(sweep.SWEEP_CONFIG["parameters"])
    assert 1 <= config.DEMO_SWEEP_TRIALS <= 3
    # A live trial never trains longer than the demo run because of a swept value.
    for name in BUDGET[package]:
        spec = live["parameters"].get(name, {})
        values = spec.get("values", [spec["value"]] if "value" in spec else [])
        assert all(v <= getattr(demo, name) for v in values), (name, values)
    smoke_trial = config.demo_trial_config(config.smoke_config(full))
    assert smoke_trial.smoke  # the rehearsal's trials stay CPU-sized


def test_notebooks_speak_to_the_audience_not_to_the_plan():
    """Korean pass (issue 13): no internal plan names, one word for each term."""
    for path in TASK_NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in notebook.cells)
        assert "워크플로우" not in text, f"{path.name}: write 워크플로, not 워크플로우"
        assert "확신도" not in text, f"{path.name}: write 신뢰도(confidence)"
        assert "별칭" not in text or "별칭(alias)" in text, f"{path.name}: 별칭(alias) at first use"


def test_notebooks_are_stored_without_outputs():
    """Committed notebooks carry no outputs: no stale numbers, no tracebacks, small diffs."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            assert not cell.get("outputs"), f"{path.name} stores outputs; clear them before commit"


def test_ci_skips_the_notebooks_here_only_where_the_twin_executes_them():
    """.ci/run may set IN_TWIN for its test step only if a later step, under `set -e`, runs the
    Colab twin's notebook test; otherwise a notebook would execute nowhere in CI."""
    script = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    lines = [line.strip() for line in script.splitlines()]
    assert "set -euo pipefail" in lines
    skipping = [i for i, line in enumerate(lines) if f"{IN_TWIN}=1" in line and "pytest" in line]
    twin = [
        i
        for i, line in enumerate(lines)
        if "WB_DEMO_COLAB_TWIN=1" in line and "pytest tests/colab" in line and "#" not in line
    ]
    assert skipping and twin and max(skipping) < min(twin), (skipping, twin)
    assert all(" pytest\n" in f"{lines[i]}\n" for i in skipping)  # the README's whole command


def test_github_ci_skips_the_notebooks_only_in_a_workflow_whose_twin_job_executes_them():
    """The GitHub workflow may set IN_TWIN on a step only if one of its jobs runs the Colab
    twin's notebook test (jobs run side by side; the workflow fails if any job fails)."""
    workflow = yaml.safe_load((Path(__file__).parents[1] / ".github/workflows/ci.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    skipping = [step for step in steps if str(step.get("env", {}).get(IN_TWIN)) == "1"]
    twin = [step for step in steps if "WB_DEMO_COLAB_TWIN=1" in step.get("run", "")]
    assert skipping and twin, "the twin job or the skip went missing"
    assert all("pytest tests/colab" in step["run"] for step in twin)
