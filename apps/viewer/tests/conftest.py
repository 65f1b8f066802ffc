"""Shared fixtures: real models of every servable type, built once per test session.

    uv run --all-packages pytest apps/viewer -q -p no:logging

The classifier is cls-train's own smoke training (a real artifact: weights + model card). The
segmenter, the video model and the detector are untrained, each with the card its package's
`model_card(...)` builds (the function train() ships) and its package's network (`build_model`;
for det-train the YOLOv8n its card names, random weights): the viewer must load and run every
one of them from the card alone, which is what these tests check.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from viewer import deployment as dp
from viewer.payload import FIELDS
from wb_common import ModelCard
from wb_common.payload import example_client_payload
from wb_common.tasks import registry_path, task_of_model_type
from wb_testing.api_doubles import ProducerRunDouble, VersionApiDouble, VersionDouble
from wb_testing.fixtures import isolate_wandb

ENTITY = "demo-team"


@dataclasses.dataclass
class Artifacts:
    """model_type -> a folder that looks exactly like a downloaded model artifact."""

    root: Path
    folders: dict[str, Path]
    cls_run: Path  # the offline W&B run folder of cls-train's smoke training

    def __getitem__(self, model_type: str) -> Path:
        return self.folders[model_type]


def _cls_artifact(root: Path) -> tuple[Path, Path]:
    from cls_train.config import Config, smoke_config
    from cls_train.train import train

    with pytest.MonkeyPatch.context() as mp:
        isolate_wandb(mp, root / "wandb")
        cfg = smoke_config(Config(output_dir=root / "cls-out", data_dir=root / "cls-data"))
        # One step on 64 samples: a real artifact in seconds. The tests compare the viewer with
        # the training's own evaluation path, so they need a real model, not a good one.
        result = train(dataclasses.replace(cfg, max_train_samples=64, epochs=1))
    folder = root / "classification"
    folder.mkdir()
    shutil.copy2(result.model_path, folder / result.card.weights_file)
    result.card.write(folder)
    assert result.run_dir is not None
    return folder, result.run_dir


def _torch_artifact(root: Path, card: ModelCard, module: torch.nn.Module) -> Path:
    folder = root / card.model_type
    folder.mkdir()
    torch.save(module.state_dict(), folder / card.weights_file)
    card.write(folder)
    return folder


def _seg_artifact(root: Path) -> Path:
    """seg-train's own network and card, untrained (its smoke run takes minutes)."""
    from seg_train.config import Config, smoke_config
    from seg_train.model import build_model, model_card

    cfg = smoke_config(Config())
    card = model_card(cfg)
    return _torch_artifact(root, card, build_model(cfg, num_classes=len(card.class_names)))


def _video_artifact(root: Path) -> Path:
    """video-train's own network and smoke card, untrained."""
    from video_train.config import Config, smoke_config
    from video_train.model import build_model, model_card

    cfg = smoke_config(Config())
    card = model_card(cfg, class_names=["ApplyEyeMakeup", "Basketball", "Biking"])
    return _torch_artifact(root, card, build_model(cfg, num_classes=len(card.class_names)))


def _det_artifact(root: Path) -> Path:
    """det-train's smoke card, with a YOLOv8n of its architecture and random weights."""
    from det_train.config import Config, smoke_config
    from det_train.model import model_card
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    # det-train's smoke card (conf 0.001: show the weak boxes too) for three classes
    card = model_card(smoke_config(Config()), class_names=["person", "car", "dog"])
    folder = root / card.model_type
    folder.mkdir()
    model = YOLO(f"{card.architecture}.yaml", task="detect")
    model.model = DetectionModel(
        f"{card.architecture}.yaml", nc=len(card.class_names), verbose=False
    )
    model.model.names = dict(enumerate(card.class_names))
    model.save(str(folder / card.weights_file))
    card.write(folder)
    return folder


@pytest.fixture(scope="session")
def yolo_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Ultralytics offline, with a private settings folder (it writes settings.json)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YOLO_OFFLINE", "1")
        mp.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("yolo-config")))
        mp.setenv("YOLO_VERBOSE", "False")
        yield


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory, yolo_env: None) -> Artifacts:
    root = tmp_path_factory.mktemp("artifacts")
    cls_folder, cls_run = _cls_artifact(root)
    folders = {
        "classification": cls_folder,
        "segmentation": _seg_artifact(root),
        "detection": _det_artifact(root),
        "video-classification": _video_artifact(root),
    }
    return Artifacts(root, folders, cls_run)


@pytest.fixture
def viewer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty viewer folder (deployment.json, history, models/) with W&B offline and no key."""
    isolate_wandb(monkeypatch, tmp_path / "wandb")
    home = tmp_path / "viewer"
    home.mkdir()
    monkeypatch.setenv(dp.HOME_ENV, str(home))
    monkeypatch.setenv("VIEWER_ALLOWED_ENTITIES", ENTITY)
    return home


def payload_for(model_type: str, version: str = "v3", **overrides: str) -> dict[str, str]:
    """A client_payload exactly as the W&B webhook template fills it (wb_common.payload)."""
    collection = task_of_model_type(model_type).collection
    payload = example_client_payload(ENTITY, collection, version, author="jiyoon")
    assert set(payload) == set(FIELDS)
    payload.update(overrides)
    return payload


@pytest.fixture
def make_payload():
    return payload_for


@pytest.fixture
def run_deploy(viewer_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`viewer-deploy` in-process: run_deploy(payload, *flags) -> (exit code, stdout, stderr)."""
    from viewer.deploy import main

    def run(payload: dict | str, *flags: str) -> tuple[int, str, str]:
        payload_file = tmp_path / "payload.json"
        payload_file.write_text(payload if isinstance(payload, str) else json.dumps(payload))
        code = main(["--payload-file", str(payload_file), "--home", str(viewer_home), *flags])
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --- test doubles of wandb.Api (wandb 0.31): the calls registry_version and list_versions make -
# Signatures as in wandb/apis/public/api.py, runs.py, files.py and sdk/artifacts/artifact.py.


@dataclasses.dataclass
class EntryDouble:
    """An ArtifactManifestEntry (wandb/sdk/artifacts/artifact_manifest_entry.py): `path`, `size`
    (bytes, as the manifest states it), `ref` (None unless a reference) and
    `download(root=None, skip_cache=None, executor=None)`, which writes `root/path`."""

    path: str
    size: int | None
    data: bytes
    downloads: list[str]
    ref: str | None = None

    def download(
        self, root: str | None = None, skip_cache: bool | None = None, executor: object = None
    ) -> str:
        assert root is not None
        self.downloads.append(self.path)
        target = Path(root) / self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.data)
        return str(target)


@dataclasses.dataclass
class ServedVersionDouble(VersionDouble):
    """VersionDouble plus what a selective download uses (wandb 0.31's Artifact):
    `manifest.entries[name]` and `get_entry(name)` (KeyError for a name it lacks, as the SDK).
    `sizes` overrides the size the manifest states (an oversized file without writing GBs);
    `downloads` records every file fetched, `"*"` for a whole-artifact download."""

    sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    downloads: list[str] = dataclasses.field(default_factory=list)

    def _files(self) -> dict[str, bytes]:
        files = {}
        if self.folder is not None:
            files = {p.name: p.read_bytes() for p in self.folder.iterdir() if p.is_file()}
        return {**files, **self.files}

    @property
    def manifest(self):
        from types import SimpleNamespace

        entries = {
            name: EntryDouble(name, self.sizes.get(name, len(data)), data, self.downloads)
            for name, data in self._files().items()
        }
        return SimpleNamespace(entries=entries)

    def get_entry(self, name: str) -> EntryDouble:
        entry = self.manifest.entries.get(name)
        if entry is None:
            raise KeyError(f"Path not contained in artifact: {name}")
        return entry

    def download(self, root: str | None = None, **kwargs) -> str:
        self.downloads.append("*")
        return super().download(root=root, **kwargs)


@pytest.fixture
def fake_api_for(artifacts: Artifacts):
    """fake_api_for(model_type, versions=("v2", "v3"), production="v3"): a test double of
    `wandb.Api` (wb_testing.api_doubles.VersionApiDouble) serving this session's real artifacts."""

    def build(model_type: str, versions=("v2", "v3"), production: str = "v3") -> VersionApiDouble:
        folder = artifacts[model_type]
        card = ModelCard.read(folder)
        collection = task_of_model_type(model_type).collection
        dataset = f"{ENTITY}/wandb-e2e-demo-image-classification/synthetic-cifar10:v0"
        run = ProducerRunDouble(
            summary_metrics={"val/acc": 0.91, "val/loss": 0.3, "_step": 7, "epoch": 3},
            config={"lr": 0.003, "optimizer": "adamw", "_wandb": {}},
            path=[ENTITY, "wandb-e2e-demo-image-classification", "abc123"],
            used=[VersionDouble(dataset, "v0", [], type="dataset")],
        )
        return VersionApiDouble(
            [
                ServedVersionDouble(
                    qualified_name=registry_path(collection, entity=ENTITY, version=version),
                    version=version,
                    aliases=["production"] if version == production else ["staging"],
                    folder=folder,
                    metadata={
                        **card.to_dict(),
                        "metrics": {"val/acc": int(version[1:]) / 100},
                    },
                    run=run,
                )
                for version in versions
            ]
        )

    return build
