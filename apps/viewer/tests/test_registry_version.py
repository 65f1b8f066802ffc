"""What the viewer asks the W&B server (viewer.registry_version), against test doubles of
wandb.Api.

    uv run --all-packages pytest apps/viewer/tests/test_registry_version.py -q

The W&B server is unreachable here. `VersionApiDouble` and the classes beside it
(wb_testing.api_doubles) are test doubles with the signatures of wandb 0.31 for the calls
registry_version makes; their docstrings say which.
"""

from __future__ import annotations

import dataclasses
import io

import pytest
import wandb
from PIL import Image
from viewer.registry_version import (
    TIMEOUT_S,
    VERSION,
    ServerError,
    checked_artifact,
    connect,
    model_info,
    resolve_version,
    sample_generations,
)
from viewer.uploads import MAX_IMAGE_BYTES
from wb_common.tasks import registry_path
from wb_testing.api_doubles import ProducerRunDouble, RunFileDouble, VersionApiDouble, VersionDouble
from wb_testing.fixtures import isolate_wandb

COLLECTION = "cifar10-classifier"
PATH = registry_path(COLLECTION, entity="demo-team", version="v3")


def registry(
    *versions: str, production: str = "v3", run: ProducerRunDouble | None = None
) -> VersionApiDouble:
    """A registry collection holding `versions`; `production` on one of them."""
    return VersionApiDouble(
        [
            VersionDouble(
                qualified_name=registry_path(COLLECTION, entity="demo-team", version=version),
                version=version,
                aliases=["production"] if version == production else ["staging"],
                files={"model_card.json": b"{}", "model.pth": version.encode()},
                run=run,
            )
            for version in versions
        ]
    )


def producing_run() -> ProducerRunDouble:
    dataset = VersionDouble(
        "demo-team/wandb-e2e-demo-image-classification/synthetic-cifar10:v0",
        "v0",
        [],
        type="dataset",
    )
    return ProducerRunDouble(
        summary_metrics={"val/acc": 0.91, "val/loss": 0.3, "_step": 7, "epoch": 3, "ok": True},
        config={"lr": 0.003, "optimizer": "adamw", "_wandb": {}},
        path=["demo-team", "wandb-e2e-demo-image-classification", "abc123"],
        used=[dataset, VersionDouble("demo-team/p/code:v0", "v0", [], type="code")],
    )


def test_connect_without_a_key_never_prompts(tmp_path, monkeypatch):
    """No test double needed: without a key, connect() returns None before touching wandb.Api."""
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.setattr(wandb, "Api", None)  # calling it would raise TypeError
    assert connect() is None


def test_connect_hands_the_key_to_wandb_api(tmp_path, monkeypatch):
    """A recording stand-in for the `wandb.Api` constructor: the key and the timeout go in, so
    it never looks for a login of its own (a prompt would hang a headless deploy)."""
    isolate_wandb(monkeypatch, tmp_path)
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    made = []
    monkeypatch.setattr(wandb, "Api", lambda **kwargs: made.append(kwargs) or "api")
    assert connect() == "api"
    assert made == [{"api_key": "k" * 40, "timeout": TIMEOUT_S}]


def test_resolve_version_follows_the_alias_and_refuses_anything_else():
    """Uses a test double of wandb.Api: production sits on v3."""
    api = registry("v2", "v3")
    assert resolve_version(api, PATH.replace(":v3", ":production")) == "v3"
    api.versions[1].version = "v03"  # not a W&B version name (leading zero)
    with pytest.raises(ServerError, match="not a version name"):
        resolve_version(api, PATH.replace(":v3", ":production"))


@pytest.mark.parametrize("name", ["v0", "v1", "v10", "v999999"])
def test_version_names_are_ascii_without_leading_zeros(name):
    assert VERSION.fullmatch(name)
    assert not VERSION.fullmatch(name.replace("v", "v0", 1) if name != "v0" else "v00")
    assert not VERSION.fullmatch("v٢") and not VERSION.fullmatch("latest")


def test_model_info_reads_the_producing_run():
    """Uses a test double of wandb.Api whose version was logged by a run."""
    info = model_info(registry("v3", run=producing_run()), PATH)
    assert info["metrics"] == {"val/acc": 0.91, "val/loss": 0.3, "epoch": 3.0}  # no _step, bool
    assert info["config"] == {"lr": 0.003, "optimizer": "adamw"}  # no _wandb
    assert info["run"]["path"] == "demo-team/wandb-e2e-demo-image-classification/abc123"
    assert info["datasets"] == [
        "demo-team/wandb-e2e-demo-image-classification/synthetic-cifar10:v0"
    ]  # the code artifact it used is not a dataset
    assert info["aliases"] == ["production"] and info["created_at"] == "2026-11-20T09:00:00Z"


def test_model_info_without_a_run_still_describes_the_artifact():
    """Uses a test double of wandb.Api whose version has no producing run."""
    info = model_info(registry("v3"), PATH)
    assert info["run"] is None and info["metrics"] == {} and info["artifact"] == PATH


def test_checked_artifact_checks_the_alias_and_the_version_first():
    """Uses a test double of wandb.Api: production sits on v3, not v2."""
    api = registry("v2", "v3")
    assert checked_artifact(api, PATH, "production").version == "v3"
    with pytest.raises(ServerError, match="no longer has the alias"):
        checked_artifact(api, PATH.replace("v3", "v2"), "production")
    # a manual deploy needs no alias; the server answering with another version is refused
    assert checked_artifact(api, PATH.replace("v3", "v2"), "").version == "v2"
    # a server answering with another collection's version
    other = dataclasses.replace(api.versions[0], qualified_name=PATH.replace(COLLECTION, "x"))
    api.artifact = lambda name, type=None: other
    with pytest.raises(ServerError, match="refusing a different version"):
        checked_artifact(api, PATH.replace("v3", "v2"), "")


def png(shade: int, size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, shade, shade)).save(buffer, "PNG")
    return buffer.getvalue()


def test_sample_generations_are_the_runs_last_logged_images(tmp_path):
    """Uses a test double of wandb.Api whose run logged three images and a table."""
    run = producing_run()
    run.media = [
        RunFileDouble("media/images/samples_1_a.png", png(1)),
        RunFileDouble("media/table/val_2.table.json", b"{}"),
        RunFileDouble("media/images/samples_2_b.png", png(2)),
        RunFileDouble("media/images/samples_3_c.png", png(3)),
    ]
    api = registry("v3", run=run)
    images = sample_generations(api, PATH, tmp_path, limit=2)
    assert [image.getpixel((0, 0)) for image in images] == [(2, 2, 2), (3, 3, 3)]
    # a second look (the app's next rerun) finds the files there and does not fail
    assert len(sample_generations(api, PATH, tmp_path, limit=2)) == 2
    assert sample_generations(registry("v3"), PATH, tmp_path) == []  # no run, no images


def test_sample_generations_fetch_only_bounded_images_inside_the_folder(tmp_path):
    """Uses a test double of wandb.Api whose run's files are hostile: a name that climbs out of
    the folder, one listed over the size bound (never fetched), one that is not an image, one
    whose pixels are past the uploads' bounds. Only the good image comes back."""
    run = producing_run()
    run.media = [
        RunFileDouble("media/images/../../escaped.png", png(1)),
        RunFileDouble("media/images/huge.png", png(2), listed_size=MAX_IMAGE_BYTES + 1),
        RunFileDouble("media/images/not-an-image.png", b"text, not a PNG"),
        RunFileDouble("media/images/strip.png", png(4, (20_000, 1))),
        RunFileDouble("media/images/good.png", png(5)),
    ]
    images = sample_generations(registry("v3", run=run), PATH, tmp_path / "samples")
    assert [image.getpixel((0, 0)) for image in images] == [(5, 5, 5)]
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert all(name.startswith("samples/media/images/") for name in written), written
    assert "samples/media/images/huge.png" not in written
