"""`wb-demo sync` and `inspect`: the queued registry link replayed after upload.

uv run --package wb-common pytest packages/wb-common/tests/test_sync.py
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from wb_common import ModelCard, find_run_dirs, link_to_registry, log_model_artifact, start_run
from wb_common.cli import REPLAYERS, Inspect, Sync, inspect_command, sync_command
from wb_common.pending import PENDING_FILE, ReplayError, pending_actions, replay


@pytest.fixture
def offline_run_with_link(offline_wandb, tmp_path):
    weights = tmp_path / "model.pth"
    weights.write_bytes(b"weights")
    card = ModelCard(
        model_type="classification",
        architecture="resnet18",
        weights_file="model.pth",
        class_names=["a", "b"],
    )
    run = start_run("image-classification", {"lr": 0.1})
    run.log({"val/acc": 0.75, "epoch": 1})
    artifact = log_model_artifact(run, "resnet18-toy", weights, card)
    link_to_registry(run, artifact, "cifar10-classifier")
    run.finish()
    (run_dir,) = find_run_dirs(offline_wandb)
    return run_dir, artifact.digest


class FakeArtifact:
    def __init__(self, name: str, digest: str):
        self.name, self.digest, self.links = name, digest, []

    def link(self, target_path: str, aliases=None):
        self.links.append((target_path, list(aliases or [])))


class FakeApi:
    """A test double of `wandb.Api`: `default_entity`, `run(path).logged_artifacts()`."""

    def __init__(self, artifacts):
        self.default_entity = "demo-team"
        self.artifacts = artifacts
        self.run_paths = []

    def run(self, path):
        self.run_paths.append(path)
        return SimpleNamespace(logged_artifacts=lambda: self.artifacts)


def test_dry_run_shows_the_link_it_would_make(offline_run_with_link, capsys):
    run_dir, digest = offline_run_with_link
    assert sync_command(Sync(dir=run_dir.parent, dry_run=True)) == 0
    out = capsys.readouterr().out
    assert f"would run: wandb sync {run_dir}" in out
    assert "'resnet18-toy'" in out and digest[:12] in out
    assert ".link('wandb-registry-model/cifar10-classifier', aliases=['staging'])" in out
    assert len(pending_actions(run_dir)) == 1  # a dry run changes nothing


def test_replay_links_the_matching_artifact_once(offline_run_with_link):
    """Replays against a test double of `wandb.Api` (no server here)."""
    run_dir, digest = offline_run_with_link
    other = FakeArtifact("resnet18-toy:v0", "0" * 32)
    ours = FakeArtifact("resnet18-toy:v1", digest)
    api = FakeApi([other, ours])
    (line,) = replay(run_dir, api, REPLAYERS)
    assert line.startswith("done:")
    assert ours.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]
    assert other.links == []
    assert api.run_paths[0].startswith("demo-team/wandb-e2e-demo-image-classification/")
    assert replay(run_dir, api, REPLAYERS) == []  # replayed entries are not replayed again
    assert ours.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]


def test_replay_without_the_uploaded_artifact_explains(offline_run_with_link):
    """Replays against a test double of `wandb.Api` whose run logged nothing."""
    run_dir, _ = offline_run_with_link
    with pytest.raises(ReplayError, match="wandb sync") as caught:
        replay(run_dir, FakeApi([]), REPLAYERS)
    assert caught.value.lines[0].startswith("failed: ")
    assert len(pending_actions(run_dir)) == 1  # still queued for the next try


def test_sync_without_a_key_says_how_to_log_in(offline_run_with_link, capsys):
    run_dir, _ = offline_run_with_link
    assert sync_command(Sync(dir=run_dir.parent)) == 2
    err = capsys.readouterr().err
    assert "wandb login" in err and err.count("\n") == 1


def test_inspect_summarises_what_the_run_recorded(offline_run_with_link, capsys):
    run_dir, _ = offline_run_with_link
    assert inspect_command(Inspect(run_dir=run_dir)) == 0
    out = capsys.readouterr().out
    assert "project=wandb-e2e-demo-image-classification" in out
    assert "val/acc = 0.75  (1)" in out
    assert "resnet18-toy (model) files=['model.pth', 'model_card.json']" in out
    assert "link: wandb-registry-model/cifar10-classifier" in out


def test_inspect_of_a_non_run_is_one_sentence(tmp_path, capsys):
    assert inspect_command(Inspect(run_dir=tmp_path)) == 2
    assert "not a W&B run folder" in capsys.readouterr().err


def _own_report() -> str:
    """A queue line of a report into the fixture run's own project (no entity: offline)."""
    import json

    from wb_common import report_spec

    spec = report_spec("image-classification", title="t", description="d", metric="val/acc",
                       params=["lr"], line_metrics=["val/acc"], group="sweep-1")  # fmt: skip
    return json.dumps({"action": "report", "spec": spec})


def _spoil_queue(run_dir):
    """The real queued link, then the lines issue 14 found: cut short, wrong shape, twice."""
    queue = run_dir / PENDING_FILE
    (good,) = queue.read_text().splitlines()
    report = _own_report()
    queue.write_text("\n".join([
        good,
        good[: len(good) // 2],  # 2: a crash cut it short
        '{"action": "link", "run_path": 7}',  # 3: JSON of the wrong shape (KeyError/TypeError)
        "[1, 2]",  # 4: not an object
        good,  # 5: the same line again: replayed once
        report,  # 6: a report that will fail on the server
        '{"action": "teleport"}',  # 7
    ]) + "\n")  # fmt: skip


def test_dry_run_and_inspect_report_bad_lines_by_number(offline_run_with_link, capsys):
    """Before: one partial line ended both in a JSONDecodeError traceback."""
    run_dir, _ = offline_run_with_link
    _spoil_queue(run_dir)
    assert sync_command(Sync(dir=run_dir.parent, dry_run=True)) == 0
    out = capsys.readouterr().out
    for number in (2, 3, 4, 7):
        assert f"{PENDING_FILE} line {number}:" in out
    assert out.count("would call: api.run(") == 1  # the duplicate is one action
    assert inspect_command(Inspect(run_dir=run_dir)) == 0
    out = capsys.readouterr().out
    assert "queued for `wb-demo sync`: 2" in out and "line 2: not JSON" in out


def test_replay_runs_every_action_reports_each_failure_and_replays_once(
    offline_run_with_link, monkeypatch
):
    """A test double of `wandb.Api` for the link; the report's handler is replaced by one that
    fails like a server error. Before: the first failure stopped every later action, and a line
    queued twice ran twice."""
    run_dir, digest = offline_run_with_link
    _spoil_queue(run_dir)

    def refuse(action, api):
        raise PermissionError("403 on the report's project")

    replayers = {**REPLAYERS, "report": refuse}
    ours = FakeArtifact("resnet18-toy:v1", digest)
    with pytest.raises(ReplayError) as caught:
        replay(run_dir, FakeApi([ours]), replayers)
    lines = caught.value.lines
    assert sum(line.startswith("skipped:") for line in lines) == 4
    assert sum(line.startswith("done: ") for line in lines) == 1
    assert next(line for line in lines if line.startswith("failed: ")).endswith(
        "(PermissionError: 403 on the report's project)"
    )
    assert ours.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]  # once
    with pytest.raises(ReplayError):  # the report stays queued; the link is not made again
        replay(run_dir, FakeApi([ours]), replayers)
    assert len(ours.links) == 1
    assert [a["action"] for a in pending_actions(run_dir)] == ["report"]


def test_a_replay_leaves_the_actions_it_has_no_replayer_for_queued(offline_run_with_link):
    """`link_noted_model` replays links only: a queued report stays for `wb-demo sync` (test
    double of `wandb.Api`). Before, replay took no replayers and ran every kind it knew."""
    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    queue.write_text(queue.read_text() + _own_report() + "\n")
    ours = FakeArtifact("resnet18-toy:v1", digest)
    (line,) = replay(run_dir, FakeApi([ours]), {"link": REPLAYERS["link"]})
    assert line.startswith("done: api.run(") and len(ours.links) == 1
    assert [a["action"] for a in pending_actions(run_dir)] == ["report"]


def test_only_a_whole_action_is_queued(tmp_path):
    """queue_action checks the line as replay will: before, any line naming a known action was
    written, and `wb-demo sync` skipped it later."""
    from wb_common.pending import queue_action

    for bad in ({"action": "teleport"}, {"action": "link", "target": "x"}, {"action": "report"}):
        with pytest.raises(ValueError, match="not a pending action"):
            queue_action(tmp_path, bad)
    assert not (tmp_path / PENDING_FILE).exists()


def test_sync_reports_failures_and_exits_1(offline_run_with_link, monkeypatch, capsys):
    """`wb-demo sync` with `wandb sync` and wandb.Api replaced by test doubles."""
    import subprocess

    import wandb
    import wb_common.cli

    run_dir, _ = offline_run_with_link
    monkeypatch.setattr(wb_common.cli, "find_api_key", lambda: "k" * 40)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: SimpleNamespace(returncode=0))
    monkeypatch.setattr(wandb, "Api", lambda: FakeApi([]))
    assert sync_command(Sync(dir=run_dir.parent)) == 1
    captured = capsys.readouterr()
    assert "failed: api.run(" in captured.out
    assert "1 queued action(s) failed" in captured.err and "Traceback" not in captured.err


def _sync_with_doubles(run_dir, monkeypatch, artifacts):
    """`wb-demo sync` with `wandb sync` and wandb.Api replaced by test doubles; the api double."""
    import subprocess

    import wandb
    import wb_common.cli

    api = FakeApi(artifacts)
    monkeypatch.setattr(wb_common.cli, "find_api_key", lambda: "k" * 40)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: SimpleNamespace(returncode=0))
    monkeypatch.setattr(wandb, "Api", lambda: api)
    return sync_command(Sync(dir=run_dir.parent)), api


def _planted(good: str, **changes) -> str:
    import json

    return json.dumps({**json.loads(good), **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"run_path": "victim-team/wandb-e2e-demo-image-detection/abcd1234"},
        {"aliases": ["production"]},
        {"aliases": ["staging", "production"]},
        {"target": "victim-team/wandb-registry-model/coco128-detector"},
        {"target": "wandb-registry-model/coco128-detector"},  # another task's collection
        {"target": "wandb-registry-model/../x"},
    ],
)
def test_a_planted_line_naming_what_the_run_does_not_own_is_refused(
    offline_run_with_link, monkeypatch, capsys, changes
):
    """Issue 24: a line naming another team's run, or `production`, was replayed with the
    syncing user's key (`production` fires the deploy webhook). Test doubles for the server."""
    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    (good,) = queue.read_text().splitlines()
    queue.write_text(_planted(good, **changes) + "\n")
    ours = FakeArtifact("resnet18-toy:v1", digest)
    code, api = _sync_with_doubles(run_dir, monkeypatch, [ours])
    captured = capsys.readouterr()
    assert code == 2 and ours.links == [] and api.run_paths == []  # nothing replayed
    refusal = next(line for line in captured.out.splitlines() if "refused:" in line)
    assert f"{PENDING_FILE} 1번째 줄" in refusal and ". " in refusal  # Korean, then English
    assert "refused" in captured.err and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_the_runs_own_line_next_to_a_planted_one_is_still_replayed(
    offline_run_with_link, monkeypatch, capsys
):
    """A test double of `wandb.Api`: the folder's own link is made, the planted one is not."""
    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    (good,) = queue.read_text().splitlines()
    queue.write_text(_planted(good, aliases=["production"]) + "\n" + good + "\n")
    ours = FakeArtifact("resnet18-toy:v1", digest)
    code, api = _sync_with_doubles(run_dir, monkeypatch, [ours])
    assert code == 2
    assert ours.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]
    assert api.run_paths[0].endswith("/wandb-e2e-demo-image-classification/" + run_dir.name[-8:])


def test_a_symlinked_queue_file_is_refused(offline_run_with_link, monkeypatch, capsys, tmp_path):
    """Before: a queue symlinked to a file outside the run folder was read and replayed."""
    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text(queue.read_text())  # even the run's own line: the link is the problem
    queue.unlink()
    queue.symlink_to(outside)
    ours = FakeArtifact("resnet18-toy:v1", digest)
    code, _ = _sync_with_doubles(run_dir, monkeypatch, [ours])
    out = capsys.readouterr().out
    assert code == 2 and ours.links == []
    assert "not a regular file" in out and pending_actions(run_dir) == []


def test_an_oversized_queue_file_is_refused_whole(offline_run_with_link, monkeypatch, capsys):
    from wb_common.pending import MAX_QUEUE_BYTES

    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    good = queue.read_text()
    queue.write_text(good + ("\n" * (MAX_QUEUE_BYTES + 10)))
    ours = FakeArtifact("resnet18-toy:v1", digest)
    code, _ = _sync_with_doubles(run_dir, monkeypatch, [ours])
    assert code == 2 and ours.links == []
    assert f"is over {MAX_QUEUE_BYTES // 1024} KB" in capsys.readouterr().out


def test_an_over_long_line_is_refused_and_the_others_still_run(
    offline_run_with_link, monkeypatch, capsys
):
    """A test double of `wandb.Api`. Before: the whole file was read and each line parsed."""
    from wb_common.pending import MAX_LINE_BYTES

    run_dir, digest = offline_run_with_link
    queue = run_dir / PENDING_FILE
    (good,) = queue.read_text().splitlines()
    long_line = _planted(good, padding="x" * MAX_LINE_BYTES)  # the run's own link, padded
    queue.write_text(long_line + "\n" + good + "\n")
    ours = FakeArtifact("resnet18-toy:v1", digest)
    code, _ = _sync_with_doubles(run_dir, monkeypatch, [ours])
    assert code == 2
    assert ours.links == [("wandb-registry-model/cifar10-classifier", ["staging"])]  # line 2 only
    assert f"line 1 is over {MAX_LINE_BYTES // 1024} KB" in capsys.readouterr().out


def test_the_dry_run_shows_the_refusal_and_exits_2(offline_run_with_link, capsys):
    run_dir, _ = offline_run_with_link
    queue = run_dir / PENDING_FILE
    (good,) = queue.read_text().splitlines()
    queue.write_text(_planted(good, run_path="victim-team/p/abcd1234") + "\n")
    assert sync_command(Sync(dir=run_dir.parent, dry_run=True)) == 2
    out = capsys.readouterr().out
    assert "would call" not in out and "victim-team/p/abcd1234" in out


def test_the_done_file_is_never_written_through_a_symlink(offline_run_with_link, tmp_path):
    """A test double of `wandb.Api`. Before: a `wb_demo_done.jsonl` symlinked to a file outside
    the run folder had each replayed action appended to that file."""
    from wb_common.pending import DONE_FILE

    run_dir, digest = offline_run_with_link
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    (run_dir / DONE_FILE).symlink_to(outside)
    ours = FakeArtifact("resnet18-toy:v1", digest)
    with pytest.raises(ReplayError, match="was not written"):
        replay(run_dir, FakeApi([ours]), REPLAYERS)
    assert outside.read_text() == "keep\n"


def test_link_targets_follow_the_runs_task():
    """A classification run links to its task's collection, its smoke twin, or a collection
    named after the user's own data; never another task's, another team's registry, or a path."""
    from wb_common.pending import target_problem

    owner = "/wandb-e2e-demo-image-classification/abcd1234"
    for ok in ("cifar10-classifier", "cifar10-classifier-smoke", "my-flowers-classifier"):
        assert target_problem(f"wandb-registry-model/{ok}", owner) is None, ok
    for bad in ("wandb-registry-model/coco128-detector", "wandb-registry-model/pet-segmenter-smoke",
                "victim-team/wandb-registry-model/cifar10-classifier", "wandb-registry-model/a/b",
                "wandb-registry-model/", "wandb-registry-dataset/cifar10-classifier"):  # fmt: skip
        assert target_problem(bad, owner), bad


def test_a_queue_file_symlinked_elsewhere_is_never_appended_to(tmp_path):
    """Before: queue_action opened the queue with `open("a")`, which follows a symlink planted
    in its place, and appended the action to the file it pointed at."""
    import os

    from wb_common.pending import queue_action

    link = {"action": "link", "run_path": "/p/abcd1234", "artifact": "m", "digest": "d",
            "target": "wandb-registry-model/m", "aliases": ["staging"]}  # fmt: skip
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / PENDING_FILE).symlink_to(outside)
    with pytest.raises(ValueError, match=r"심볼릭 링크이거나 .* is a symlink or not a regular"):
        queue_action(run_dir, link)
    assert outside.read_text() == "keep\n"
    (run_dir / PENDING_FILE).unlink()
    os.mkfifo(run_dir / PENDING_FILE)  # no reader: a plain open("a") would wait forever
    with pytest.raises(ValueError, match="not a regular file"):
        queue_action(run_dir, link)
    (run_dir / PENDING_FILE).unlink()
    assert queue_action(run_dir, link) == run_dir / PENDING_FILE  # a plain file is written
    assert (run_dir / PENDING_FILE).read_text().count("\n") == 1
