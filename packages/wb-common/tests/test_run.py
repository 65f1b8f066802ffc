"""Starting runs: project names, online/offline choice, and what an offline run records.

uv run --package wb-common pytest packages/wb-common/tests/test_run.py
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from wb_common import find_run_dirs, project_name, read_run, resolve_mode, start_run


def test_project_names_follow_the_convention():
    assert project_name("image-classification") == "wandb-e2e-demo-image-classification"
    with pytest.raises(ValueError, match="unknown task"):
        project_name("speech")


def test_mode_is_offline_without_a_key(offline_wandb):
    assert resolve_mode() == "offline"


def test_mode_is_online_with_a_key_in_the_environment(offline_wandb, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert resolve_mode() == "online"


def test_mode_is_online_with_a_key_in_netrc(offline_wandb, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40 + "\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert resolve_mode() == "online"


def test_wandb_mode_set_by_the_user_wins(offline_wandb, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert resolve_mode() == "disabled"


@dataclass
class TinyConfig:
    lr: float = 0.1
    optimizer: str = "sgd"


def test_offline_run_records_the_dataclass_config(offline_wandb, capsys):
    run = start_run("image-segmentation", TinyConfig(), job_type="train", group="g", tags=["t"])
    run.log({"train/loss": 1.5, "epoch": 1})
    run.finish()
    line = capsys.readouterr().out
    assert "W&B offline" in line and "wb-demo sync" in line
    (run_dir,) = find_run_dirs(offline_wandb)
    recorded = read_run(run_dir)
    assert recorded.project == "wandb-e2e-demo-image-segmentation"
    assert recorded.config == {"lr": 0.1, "optimizer": "sgd"}
    assert (recorded.group, recorded.job_type, recorded.tags) == ("g", "train", ["t"])
    assert recorded.metric("train/loss") == [1.5]


def test_disabled_run_records_nothing_but_accepts_the_same_calls(offline_wandb):
    run = start_run("image-classification", TinyConfig(), disabled=True)
    run.log({"train/loss": 1.0})
    run.finish()
    assert run.disabled
    assert find_run_dirs(offline_wandb) == []


def test_unreachable_server_falls_back_to_offline(offline_wandb, monkeypatch, capsys):
    """A key but no network (the proxy refuses): one line, then the run is recorded offline."""
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("WANDB_INIT_TIMEOUT", "5")
    run = start_run("image-classification", TinyConfig())
    run.log({"epoch": 1})
    run.finish()
    out = capsys.readouterr().out
    assert "W&B server not usable" in out and "recording offline instead" in out
    assert run.offline
    (run_dir,) = [d for d in find_run_dirs(offline_wandb) if d.name.startswith("offline-run-")]
    assert read_run(run_dir).metric("epoch") == [1]


def test_a_run_used_as_a_context_is_marked_failed_when_training_crashes(offline_wandb, capsys):
    """Every task's train() is `with start_run(...) as run:`; wandb's Run.__exit__ finishes the
    run with exit code 1 on an exception (it was only det that did this by hand)."""
    with (
        pytest.raises(RuntimeError, match="CUDA out of memory"),
        start_run("image-classification", {"lr": 0.1}) as run,
    ):
        run.log({"train/loss": 2.0, "epoch": 1}, step=1)
        raise RuntimeError("CUDA out of memory")
    with start_run("image-classification", {"lr": 0.1}) as run:
        run.log({"train/loss": 1.0, "epoch": 1}, step=1)
    crashed, finished = (read_run(d) for d in find_run_dirs(offline_wandb))
    assert (crashed.exit_code, finished.exit_code) == (1, 0)
    assert crashed.metric("train/loss") == [2.0]


@dataclass
class TaskLikeConfig:
    dataset: str = "cifar10"
    group: str | None = "lr-study"
    smoke: bool = False


@pytest.mark.parametrize(
    ("config", "tags"),
    [(TaskLikeConfig(), ["cifar10"]), (TaskLikeConfig(smoke=True), ["smoke"])],
    ids=["dataset", "smoke"],
)
def test_a_run_takes_its_group_and_tags_from_the_task_config(offline_wandb, config, tags):
    """What every train() passed by hand: the config's group, and a tag to filter the runs table
    by (the dataset, or "smoke" for a smoke run)."""
    start_run("image-classification", config).finish()
    (run_dir,) = find_run_dirs(offline_wandb)
    recorded = read_run(run_dir)
    assert (recorded.group, recorded.tags) == ("lr-study", tags)
