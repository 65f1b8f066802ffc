"""The small rules the six task packages share: the Hub probe, video frame sampling, checkpoints.

uv run --all-packages pytest packages/wb-common/tests/test_shared_rules.py -q
"""

from __future__ import annotations

import pytest
import torch
from wb_common.checkpoint import (
    RUN_STATE_FILE,
    ResumeError,
    epoch_state,
    load_checkpoint,
    load_run_id,
    restore,
    save_checkpoint,
    save_run_id,
)
from wb_common.hub import hub_reachable
from wb_common.video import UNIFORM, clip_times, sampling_rule
from wb_testing.fixtures import NO_NETWORK_PROXY, no_backoff


@pytest.mark.parametrize("value", ["1", "true", "ON", "yes"])
def test_hf_hub_offline_means_unreachable_without_asking(monkeypatch, value):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    monkeypatch.setattr("huggingface_hub.utils.get_session", lambda: pytest.fail("asked the Hub"))
    assert hub_reachable() is False


def test_a_dead_network_is_unreachable_at_once(monkeypatch):
    """The proxy is a closed loopback port: a real refused connection, no retries (nothing
    sleeps a backoff)."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, NO_NETWORK_PROXY)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    no_backoff(monkeypatch)
    assert hub_reachable(timeout=3.0) is False


def test_clip_times_take_the_middle_window_at_slot_centres():
    assert clip_times(10.0, 4, 2.0) == pytest.approx([4.25, 4.75, 5.25, 5.75])
    assert clip_times(1.0, 2, 2.0) == pytest.approx([0.25, 0.75])  # shorter: its whole length
    assert clip_times(0.0, 2, 2.0) == pytest.approx([0.5, 1.5])  # unknown length: from the start


def test_the_card_names_the_sampling_rule_and_an_unknown_one_is_refused():
    assert sampling_rule({"frame_sampling": UNIFORM}) is clip_times
    assert sampling_rule({}) is clip_times  # cards written before the field existed
    with pytest.raises(ValueError, match="unknown frame_sampling 'random'"):
        sampling_rule({"frame_sampling": "random"})


def test_checkpoint_round_trip_replaces_atomically(tmp_path):
    with pytest.raises(ResumeError, match=r"nothing to resume: no checkpoint\.pt"):
        load_checkpoint(tmp_path)
    save_checkpoint(tmp_path, {"epoch": 1, "w": torch.ones(2), "history": {1: {"val/acc": 0.5}}})
    save_checkpoint(tmp_path, {"epoch": 2, "w": torch.zeros(2), "history": {}})
    state = load_checkpoint(tmp_path)
    assert state["epoch"] == 2 and state["w"].tolist() == [0.0, 0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no .tmp left


def test_an_epoch_state_restores_model_optimizer_and_schedule(tmp_path):
    """What cls, seg and video save each epoch and load on --resume, through torch.save."""

    def parts(seed: int):
        torch.manual_seed(seed)
        model = torch.nn.Linear(3, 2)
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
        return model, optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)

    model, optimizer, scheduler = parts(seed=0)
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    state = epoch_state(epoch=2, run_id="abc123", history={1: {"val/acc": 0.5}, 2: {}},
                        model=model, optimizer=optimizer, scheduler=scheduler)  # fmt: skip
    save_checkpoint(tmp_path, state)

    fresh_model, fresh_optimizer, fresh_scheduler = parts(seed=1)
    assert restore(None, model=fresh_model) == (1, {})  # a fresh start touches nothing
    checkpoint = load_checkpoint(tmp_path)
    start, history = restore(
        checkpoint, model=fresh_model, optimizer=fresh_optimizer, scheduler=fresh_scheduler
    )
    assert (start, history, checkpoint["run_id"]) == (3, {1: {"val/acc": 0.5}, 2: {}}, "abc123")
    assert torch.equal(fresh_model.weight, model.weight)
    assert fresh_optimizer.state_dict()["state"][0]["step"] == 1
    assert fresh_scheduler.last_epoch == 1
    assert fresh_optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_an_epoch_state_keeps_the_numbers_of_each_logged_row(tmp_path):
    """A train loop keeps the row it logged; the checkpoint keeps its numbers only, so media
    (a wandb.Image, a table) never reach torch.save and `weights_only=True` still loads it."""
    model = torch.nn.Linear(1, 1)
    row = {"val/acc": 0.5, "epoch": 1, "val/examples": object(), "flag": True}
    save_checkpoint(tmp_path, epoch_state(epoch=1, run_id="abc123", history={1: row}, model=model))
    assert load_checkpoint(tmp_path)["history"] == {1: {"val/acc": 0.5, "epoch": 1}}


def test_run_id_note_beside_a_library_checkpoint(tmp_path):
    assert load_run_id(tmp_path) is None
    save_run_id(tmp_path / "out", "abc123")
    assert load_run_id(tmp_path / "out") == "abc123"
    (tmp_path / "out" / RUN_STATE_FILE).write_text("{cut sho")  # a kill mid-write of old code
    assert load_run_id(tmp_path / "out") is None
