"""Shared fixtures: real models of every servable type, built once per test session.

    .venv/bin/python -m pytest apps/viewer -q -p no:logging

The classifier is cls-train's own smoke training (a real artifact: weights + model card); the
segmenter is seg-train's own network (`build_model`) with its class mapping, untrained. The
detection and video models are built with the constructors and card shapes det-train and
video-train use, with random weights: the viewer must load and run every one of them from the
card alone, which is what these tests check.
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
from viewer.payload import COLLECTIONS, FIELDS
from wb_common import ModelCard
from wb_common.testing import isolate_wandb

ENTITY = "demo-team"
COLLECTION_OF = {model_type: name for name, model_type in COLLECTIONS.items()}
KINETICS_MEAN = [0.43216, 0.394666, 0.37645]
KINETICS_STD = [0.22803, 0.22145, 0.216989]
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


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
    """seg-train's own network and class mapping, untrained (its smoke run takes minutes)."""
    from seg_train.config import Config, smoke_config
    from seg_train.data import get_mapping
    from seg_train.model import ARCHITECTURE, build_model
    from seg_train.train import WEIGHTS_FILE

    cfg = smoke_config(Config())
    mapping = get_mapping(cfg.class_mapping)
    card = ModelCard(
        model_type="segmentation",
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=list(mapping.class_names),
        input_size=[cfg.img_size, cfg.img_size],
        normalization=IMAGENET,
        extra={"trimap_to_class": {str(k): v for k, v in mapping.trimap_to_class.items()}},
    )
    return _torch_artifact(root, card, build_model(cfg, num_classes=len(mapping.class_names)))


def _video_artifact(root: Path) -> Path:
    """video-train's own network and smoke card shape, untrained."""
    from video_train.config import Config, smoke_config
    from video_train.model import ARCHITECTURE, build_model
    from video_train.train import FRAME_SAMPLING, WEIGHTS_FILE

    cfg = smoke_config(Config())
    names = ["ApplyEyeMakeup", "Basketball", "Biking"]
    card = ModelCard(
        model_type="video-classification",
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=names,
        input_size=[cfg.num_frames, cfg.img_size, cfg.img_size],
        normalization={"mean": KINETICS_MEAN, "std": KINETICS_STD},
        extra={"clip_duration": cfg.clip_duration, "frame_sampling": FRAME_SAMPLING},
    )
    return _torch_artifact(root, card, build_model(cfg, num_classes=len(names)))


def _det_artifact(root: Path) -> Path:
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    names = ["person", "car", "dog"]
    folder = root / "detection"
    folder.mkdir()
    model = YOLO("yolov8n.yaml", task="detect")
    model.model = DetectionModel("yolov8n.yaml", nc=len(names), verbose=False)
    model.model.names = dict(enumerate(names))
    model.save(str(folder / "best.pt"))
    ModelCard(
        model_type="detection",
        architecture="yolov8n",
        weights_file="best.pt",
        class_names=names,
        input_size=[64, 64],
        extra={"imgsz": 64, "conf": 0.001},  # det-train's smoke card: show the weak boxes too
    ).write(folder)
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
    """A client_payload exactly as the W&B webhook template fills it."""
    collection = COLLECTION_OF[model_type]
    payload = {
        "event_type": "ADD_ARTIFACT_ALIAS",
        "event_author": "jiyoon",
        "alias": "production",
        "entity_name": ENTITY,
        "project_name": "wandb-registry-model",
        "artifact_collection_name": collection,
        "artifact_version_string": f"{ENTITY}/wandb-registry-model/{collection}:{version}",
    }
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


# --- a test double of wandb.Api (wandb 0.31): only the calls viewer.wandb_api makes ----------


@dataclasses.dataclass
class FakeRun:
    summary_metrics: dict
    config: dict
    path: list[str]
    name: str
    url: str
    datasets: list[str]
    media: dict[str, bytes] = dataclasses.field(default_factory=dict)

    def used_artifacts(self):
        return [
            type("UsedArtifact", (), {"type": "dataset", "qualified_name": name})()
            for name in self.datasets
        ]

    def files(self):
        return [FakeFile(name, data) for name, data in self.media.items()]


@dataclasses.dataclass
class FakeFile:
    name: str
    data: bytes

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False):
        path = Path(root) / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)


@dataclasses.dataclass
class FakeArtifact:
    qualified_name: str
    version: str
    aliases: list[str]
    folder: Path | None
    metadata: dict
    run: FakeRun | None = None
    created_at: str = "2026-11-20T09:00:00Z"
    digest: str = "0123abcd"
    type: str = "model"

    @property
    def source_qualified_name(self) -> str:
        return self.qualified_name.replace("wandb-registry-model", "wandb-e2e-demo")

    def download(self, root: str | None = None, **_: object) -> str:
        assert root is not None, "the viewer always passes root="
        assert self.folder is not None
        shutil.copytree(self.folder, root, dirs_exist_ok=True)
        return root

    def logged_by(self) -> FakeRun | None:
        return self.run


class FakeApi:
    """Stands in for `wandb.Api`: artifact(name, type=), artifacts(type_name=, name=)."""

    def __init__(self, artifacts: list[FakeArtifact]) -> None:
        self._artifacts = artifacts
        self.calls: list[tuple] = []

    def artifact(self, name: str, type: str | None = None) -> FakeArtifact:
        self.calls.append(("artifact", name, type))
        for artifact in self._artifacts:
            if artifact.qualified_name == name:
                return artifact
        collection, _, alias = name.rpartition(":")  # `...:production`: whoever holds it now
        for artifact in self._artifacts:
            if artifact.qualified_name.startswith(f"{collection}:") and alias in artifact.aliases:
                return artifact
        raise ValueError(f"artifact {name} not found")  # wandb raises CommError/ValueError

    def artifacts(self, type_name: str, name: str, per_page: int = 50) -> list[FakeArtifact]:
        self.calls.append(("artifacts", type_name, name))
        return [a for a in self._artifacts if a.qualified_name.split(":")[0] == name]


@pytest.fixture
def fake_api_for(artifacts: Artifacts):
    """fake_api_for(model_type, versions=("v2", "v3"), production="v3") -> FakeApi."""

    def build(model_type: str, versions=("v2", "v3"), production: str = "v3") -> FakeApi:
        folder = artifacts[model_type]
        card = ModelCard.read(folder)
        collection = COLLECTION_OF[model_type]
        run = FakeRun(
            summary_metrics={"val/acc": 0.91, "val/loss": 0.3, "_step": 7, "epoch": 3},
            config={"lr": 0.003, "optimizer": "adamw", "_wandb": {}},
            path=[ENTITY, "wandb-e2e-demo-image-classification", "abc123"],
            name="brisk-river-7",
            url=f"https://wandb.ai/{ENTITY}/wandb-e2e-demo-image-classification/runs/abc123",
            datasets=[f"{ENTITY}/wandb-e2e-demo-image-classification/synthetic-cifar10:v0"],
        )
        return FakeApi(
            [
                FakeArtifact(
                    qualified_name=f"{ENTITY}/wandb-registry-model/{collection}:{version}",
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
