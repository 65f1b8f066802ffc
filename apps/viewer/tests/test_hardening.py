"""Issue 14's attacks on the deploy → viewer chain, each reproduced and refused.

    uv run --all-packages pytest apps/viewer/tests/test_hardening.py -q -p no:logging

Server-side behaviour (registry lookups) is exercised with the test double of wandb.Api in
conftest.py; everything else runs for real: Ultralytics' loader, PyAV, Pillow, fcntl, fork.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from viewer import deployment as dp
from viewer.models import ModelLoadError, load_model
from viewer.samples import SAMPLE_VIDEO
from viewer.uploads import UploadError, read_image, read_video, to_rgb
from wb_common import ModelCard
from wb_common.tasks import registry_path, task_of_model_type

# --- 1. a hostile Ultralytics checkpoint ---------------------------------------------------


class _Planter:
    """Unpickling this runs `exec`: what a hostile best.pt does (read a key, plant a hook)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def _hostile_detector(artifacts, folder: Path, marker: Path) -> Path:
    shutil.copytree(artifacts["detection"], folder)
    checkpoint = torch.load(folder / "best.pt", map_location="cpu", weights_only=False)
    checkpoint["train_args"] = {"payload": _Planter(marker)}
    torch.save(checkpoint, folder / "best.pt")
    return folder


def test_a_hostile_yolo_checkpoint_is_refused_and_runs_nothing(artifacts, tmp_path):
    marker = tmp_path / "marker"
    folder = _hostile_detector(artifacts, tmp_path / "hostile", marker)
    with pytest.raises(ModelLoadError, match="not a safely loadable Ultralytics checkpoint"):
        load_model(folder)
    assert not marker.exists(), "the checkpoint's code ran"
    load_model(artifacts["detection"])  # a real yolov8n checkpoint still loads safely


def test_viewer_deploy_refuses_it_before_ultralytics_is_imported(
    artifacts, tmp_path, make_payload, viewer_home
):
    """The workflow's own command, in a fresh process: ULTRALYTICS_SAFE_LOAD is set first."""
    marker = tmp_path / "marker"
    folder = _hostile_detector(artifacts, tmp_path / "hostile", marker)
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(make_payload("detection")))
    env = {k: v for k, v in os.environ.items() if k != "ULTRALYTICS_SAFE_LOAD"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "viewer-deploy"), "--payload-file", str(payload),
         "--home", str(viewer_home), "--artifact-dir", str(folder)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not a safely loadable" in result.stderr
    assert not marker.exists()
    assert not (viewer_home / dp.DEPLOYMENT_FILE).exists()


# --- also found: card and weights -----------------------------------------------------------


def test_unreadable_weights_say_so_not_does_not_fit(artifacts, tmp_path):
    folder = shutil.copytree(artifacts["classification"], tmp_path / "garbage")
    (folder / "model.pth").write_bytes(b"this is not a zip archive")
    with pytest.raises(ModelLoadError) as caught:
        load_model(folder)
    assert "not a torch.save zip archive" in str(caught.value)
    assert "does not fit" not in str(caught.value)


@pytest.mark.parametrize("weights_file", ["..", ".", "../model.pth", "sub/model.pth"])
def test_a_card_weights_file_must_be_a_file_name(
    artifacts, tmp_path, run_deploy, make_payload, weights_file
):
    folder = shutil.copytree(artifacts["classification"], tmp_path / "card")
    card = json.loads((folder / "model_card.json").read_text())
    (folder / "model_card.json").write_text(json.dumps({**card, "weights_file": weights_file}))
    code, _, err = run_deploy(make_payload("classification"), "--artifact-dir", str(folder))
    assert code == 2 and ("not a file name" in err or "model card" in err), err


# --- 9 and 10: uploads ----------------------------------------------------------------------


def test_an_ffconcat_playlist_named_mp4_is_refused(tmp_path, monkeypatch):
    """Before: PyAV probed it, read `secret.mp4` from the server's folder and "predicted"."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE_VIDEO, tmp_path / "secret.mp4")
    playlist = b"ffconcat version 1.0\nfile secret.mp4\n"
    with pytest.raises(UploadError, match="지원하는 동영상 형식이 아닙니다"):
        read_video(playlist, 8, 2.0, (32, 32))
    assert read_video(SAMPLE_VIDEO.read_bytes(), 8, 2.0, (32, 32)).frames.shape == (8, 32, 32, 3)


@pytest.mark.parametrize(
    "data",
    [
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nsecret.mp4\n#EXT-X-ENDLIST\n",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,  # image2 / png_pipe
        b"RIFF\0\0\0\0WAVEfmt ",  # a RIFF that is not AVI
    ],
)
def test_other_demuxers_never_see_the_bytes(data):
    with pytest.raises(UploadError, match="지원하는 동영상 형식이 아닙니다"):
        read_video(data, 8, 2.0, (32, 32))


def _jpeg_with_orientation(size: tuple[int, int], orientation: int) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_exif_orientation_is_applied():
    """A phone's portrait photo is stored landscape with orientation 6: it must stand up."""
    assert read_image(_jpeg_with_orientation((64, 32), 6)).size == (32, 64)
    assert read_image(_jpeg_with_orientation((64, 32), 1)).size == (64, 32)


def test_a_16_bit_png_keeps_its_grey():
    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16), 32768, dtype=np.uint16)).save(buffer, "PNG")
    pixels = np.asarray(read_image(buffer.getvalue()))
    assert abs(int(pixels.mean()) - 128) <= 1, pixels.mean()  # before: all 255


def test_float_pixels_are_rescaled_and_a_tiff_named_png_is_refused():
    grey = Image.fromarray(np.full((8, 8), 0.5, dtype=np.float32), mode="F")
    assert abs(int(np.asarray(to_rgb(grey)).mean()) - 128) <= 1  # before: all 0
    buffer = io.BytesIO()
    grey.save(buffer, "TIFF")
    with pytest.raises(UploadError, match="지원하는 이미지 파일이 아닙니다"):
        read_image(buffer.getvalue())


def test_images_are_decoded_at_the_served_size():
    """A large JPEG is downscaled by its decoder (draft) and capped at MAX_SERVED_SIDE."""
    from viewer.uploads import MAX_SERVED_SIDE

    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(buffer, "JPEG", quality=60)
    image = read_image(buffer.getvalue())
    assert max(image.size) == MAX_SERVED_SIDE and image.size[0] / image.size[1] == pytest.approx(
        4 / 3, rel=0.01
    )
    gif = io.BytesIO()
    Image.new("P", (20, 10)).save(gif, "GIF")
    assert read_image(gif.getvalue()).size == (20, 10)


# --- 7 and 8: the manifest under concurrency and crashes -------------------------------------


def _entry(model_type: str, version: str, sequence: int = 0) -> dp.Deployment:
    collection = task_of_model_type(model_type).collection
    card = ModelCard(
        model_type=model_type, architecture="x", weights_file="w.pth", class_names=["a", "b"]
    )
    return dp.Deployment(
        model_type=model_type, model_name=collection, version=version,
        artifact_path=registry_path(collection, entity="team", version=version),
        deployed_at="2026-11-30T00:00:00Z", deployed_by="kim", source="wandb",
        files={"w.pth": "0" * 64}, card=card.to_dict(), sequence=sequence,
    )  # fmt: skip


def test_record_holds_the_lock_for_the_read_modify_write(tmp_path, monkeypatch):
    """Two deploys of different types interleaved at the worst point both land."""
    home = tmp_path / "home"
    real_read = dp.read_deployments
    seen: list[str] = []

    def read_then_let_the_other_deploy_run(path):
        current = real_read(path)
        if not seen:  # the first deploy read the manifest; the second now tries to deploy
            seen.append("first")
            pid = os.fork()
            if pid == 0:  # the child blocks on the lock until the parent has written
                try:
                    dp.record(home, _entry("segmentation", "v1"))
                finally:
                    os._exit(0)
            seen.append(str(pid))
        return current

    monkeypatch.setattr(dp, "read_deployments", read_then_let_the_other_deploy_run)
    dp.record(home, _entry("classification", "v2"))
    monkeypatch.setattr(dp, "read_deployments", real_read)
    os.waitpid(int(seen[1]), 0)
    assert set(dp.read_deployments(home)) == {"classification", "segmentation"}
    assert [e["version"] for e in dp.read_history(home)] == ["v2", "v1"]


def test_two_deploy_processes_at_once_both_land(artifacts, tmp_path, make_payload, viewer_home):
    """Before: both printed "deployed" and the manifest kept one of them."""
    procs = []
    for model_type in ("classification", "segmentation"):
        payload = tmp_path / f"{model_type}.json"
        payload.write_text(json.dumps(make_payload(model_type)))
        procs.append(subprocess.Popen(
            [str(Path(sys.executable).parent / "viewer-deploy"), "--payload-file", str(payload),
             "--home", str(viewer_home), "--artifact-dir", str(artifacts[model_type])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "deployed" in out, err
    assert set(dp.read_deployments(viewer_home)) == {"classification", "segmentation"}
    assert len(dp.read_history(viewer_home)) == 2


CRASH_POINTS = ["journal-temp", "after-journal", "mid-history", "after-history", "after-manifest"]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_any_point_leaves_manifest_and_history_consistent(tmp_path, point):
    """A forked deploy dies (os._exit, like kill -9) at `point`; the next run repairs."""
    home = tmp_path / "home"
    dp.record(home, _entry("classification", "v8"))
    pid = os.fork()
    if pid == 0:
        _die_at(point, home)
        os._exit(3)  # not reached when the crash point is hit
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9, "the crash point was not reached"
    # whatever a reader sees right now is a whole manifest
    assert dp.read_deployments(home)["classification"].version in ("v8", "v9")
    outcome = dp.record(home, _entry("classification", "v9"))  # the retry
    assert outcome.startswith(("deployed", "team/wandb-registry-model/cifar10-classifier:v9 is"))
    assert dp.read_deployments(home)["classification"].version == "v9"
    assert [e["version"] for e in dp.read_history(home)] == ["v8", "v9"]
    leftovers = [
        p.name
        for p in home.iterdir()
        if p.name not in (dp.DEPLOYMENT_FILE, dp.HISTORY_FILE, dp.LOCK_FILE)
    ]
    assert leftovers == []


def _die_at(point: str, home: Path) -> None:
    real_write, real_append = dp.write_atomic, dp.append_history

    def write(path, data):
        if point == "journal-temp" and path.name == dp.JOURNAL_FILE:
            with open(home / f".{path.name}.crash", "wb") as f:
                f.write(data[:10])
            os._exit(9)
        if point == "after-manifest" and path.name == dp.DEPLOYMENT_FILE:
            real_write(path, data)
            os._exit(9)
        real_write(path, data)
        if point == "after-journal" and path.name == dp.JOURNAL_FILE:
            os._exit(9)

    def append(h, entry):
        if point == "mid-history":
            with open(h / dp.HISTORY_FILE, "a") as f:
                f.write(dp.history_line(entry)[:25])
            os._exit(9)
        real_append(h, entry)
        if point == "after-history":
            os._exit(9)

    dp.write_atomic, dp.append_history = write, append
    dp.record(home, _entry("classification", "v9"))


def test_stale_download_folders_of_dead_runs_are_removed(tmp_path):
    home = tmp_path / "home"
    child = subprocess.Popen(["true"])
    child.wait()
    stale = home / dp.MODELS_DIR / f".staging.{child.pid}.abc"
    stale.mkdir(parents=True)
    (stale / "model.pth").write_bytes(b"x")
    mine = dp.scratch_dir(home / dp.MODELS_DIR, "staging")
    (home / ".deployment.json.k1ll3d").write_text("{")
    dp.record(home, _entry("classification", "v1"))
    assert not stale.exists() and mine.exists()
    assert not (home / ".deployment.json.k1ll3d").exists()


def test_an_older_workflow_run_never_undoes_a_newer_one(tmp_path):
    home = tmp_path / "home"
    assert dp.record(home, _entry("classification", "v3", sequence=20)).startswith("deployed")
    assert "a newer deploy (run 20" in dp.record(home, _entry("classification", "v2", 10))
    assert dp.read_deployments(home)["classification"].version == "v3"
    assert dp.record(home, _entry("classification", "v2", 30)).startswith("deployed")  # rollback


def test_record_command_applies_an_entry_on_a_checkout(tmp_path, capsys):
    """The workflow's commit job: the entry from the deploy job, on the branch tip's manifest."""
    from viewer.record import main

    home = tmp_path / "tip"
    dp.record(home, _entry("segmentation", "v1", sequence=5))  # another deploy landed first
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps(_entry("classification", "v4", sequence=7).to_dict()))
    assert main(["--entry", str(entry), "--home", str(home)]) == 0
    assert set(dp.read_deployments(home)) == {"classification", "segmentation"}
    assert main(["--entry", str(entry), "--home", str(home)]) == 0
    assert "already deployed" in capsys.readouterr().out
    forged = {**_entry("classification", "v4").to_dict(), "model_name": "pet-segmenter"}
    entry.write_text(json.dumps(forged))
    assert main(["--entry", str(entry), "--home", str(home)]) == 1
    assert "is not the collection of classification" in capsys.readouterr().err


# --- 4 and the webhook's shapes, through the wandb.Api test double ---------------------------


@pytest.fixture
def online(fake_api_for, monkeypatch):
    from viewer import registry_version

    def use(api):
        monkeypatch.setattr(registry_version, "connect", lambda timeout=15: api)
        return api

    return lambda *a, **k: use(fake_api_for(*a, **k))


def test_manual_rollback_to_a_version_without_production(online, run_deploy, viewer_home):
    """v1 holds `previous-production`: before, the manual payload demanded `production` and the
    download refused v1. Uses the wandb.Api test double."""
    from viewer.payload import manual_payload

    online("classification", versions=("v1", "v2"), production="v2")
    env = {
        "COLLECTION": "cifar10-classifier",
        "VERSION": "v1",
        "ENTITY": "demo-team",
        "ACTOR": "kim",
    }
    code, _, err = run_deploy(manual_payload(env), "--manual")
    assert code == 0, err
    assert dp.read_deployments(viewer_home)["classification"].version == "v1"
    code, _, err = run_deploy(manual_payload({**env, "VERSION": "v7"}), "--manual")
    assert code == 1 and "v7" in err  # validated against the registry: no such version
    code, _, err = run_deploy(manual_payload(env))  # a manual payload needs the manual run
    assert code == 2 and "--manual" in err


def test_a_webhook_naming_the_alias_resolves_to_the_version(
    online, run_deploy, make_payload, viewer_home
):
    """`artifact_version_string` = `...:production`: resolved through the API (test double)."""
    online("classification", versions=("v2", "v3"), production="v3")
    payload = make_payload(
        "classification",
        artifact_version_string="demo-team/wandb-registry-model/cifar10-classifier:production",
    )
    code, _, err = run_deploy(payload)
    assert code == 0, err
    deployed = dp.read_deployments(viewer_home)["classification"]
    assert deployed.version == "v3"
    assert deployed.artifact_path == "demo-team/wandb-registry-model/cifar10-classifier:v3"


def test_the_org_entity_deploys_when_allow_listed(online, run_deploy, make_payload, monkeypatch):
    """The registry's org entity in entity_name (test double of wandb.Api)."""
    api = online("classification")
    for artifact in api.versions:
        artifact.qualified_name = artifact.qualified_name.replace("demo-team/", "acme-org/")
    payload = make_payload(
        "classification",
        entity_name="acme-org",
        artifact_version_string="acme-org/wandb-registry-model/cifar10-classifier:v3",
    )
    assert run_deploy(payload)[0] == 2  # not allow-listed: refused
    monkeypatch.setenv("VIEWER_ALLOWED_ENTITIES", "demo-team,acme-org")
    code, _, err = run_deploy(payload)
    assert code == 0, err


def test_entry_out_is_written_only_when_something_changed(
    artifacts, run_deploy, make_payload, tmp_path
):
    out = tmp_path / "entry.json"
    folder = str(artifacts["classification"])
    args = ("--artifact-dir", folder, "--entry-out", str(out), "--sequence", "42")
    assert run_deploy(make_payload("classification"), *args)[0] == 0
    entry = json.loads(out.read_text())
    assert entry["version"] == "v3" and entry["sequence"] == 42
    out.unlink()
    assert run_deploy(make_payload("classification"), *args)[0] == 0  # same version again
    assert not out.exists()
