"""The task table and the Registry's names: written here once, read by every package and the viewer.

A task is one demo: its W&B project, the `model_type` its model card declares, and the Registry
collection its model links into (docs/architecture.md). Nothing here imports W&B, so the
viewer's webhook validation and the CLIs read it without loading the SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT_PREFIX = "wandb-e2e-demo"
REGISTRY = "model"  # the new W&B Registry's model registry: project `wandb-registry-model`
SMOKE_SUFFIX = "-smoke"  # toy models from --smoke / WB_DEMO_SMOKE=1 land in `<collection>-smoke`


@dataclass(frozen=True)
class Task:
    name: str  # e.g. "image-classification": the suffix of the W&B project
    model_type: str  # what the model card says, and what the viewer serves it as
    collection: str  # wandb-registry-model/<collection>: where its models link, alias staging
    label: str  # how the viewer names the task (Korean · English)

    @property
    def project(self) -> str:
        """The task's W&B project: `wandb-e2e-demo-<task>`."""
        return f"{PROJECT_PREFIX}-{self.name}"


_TABLE = (
    Task("image-classification", "classification", "cifar10-classifier",
         "이미지 분류 · Classification"),
    Task("image-segmentation", "segmentation", "pet-segmenter",
         "이미지 분할 · Segmentation"),
    Task("image-detection", "detection", "coco128-detector",
         "객체 탐지 · Detection"),
    Task("video-classification", "video-classification", "ucf101-classifier",
         "동영상 분류 · Video classification"),
    Task("llm-finetuning", "llm-lora", "qwen3-4b-ko-lora",
         "LLM 파인튜닝 · Qwen3 LoRA"),
    Task("image-generation", "diffusion-lora", "sd15-naruto-lora",
         "이미지 생성 · SD 1.5 LoRA"),
)  # fmt: skip
TASKS: dict[str, Task] = {task.name: task for task in _TABLE}
MODEL_TYPES = tuple(task.model_type for task in _TABLE)


def task(name: str) -> Task:
    """The task called `name`, or one sentence naming the six."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of: {', '.join(TASKS)}")
    return TASKS[name]


def task_of_model_type(model_type: str) -> Task:
    """The task whose model cards declare `model_type`."""
    for candidate in _TABLE:
        if candidate.model_type == model_type:
            return candidate
    expected = ", ".join(MODEL_TYPES)
    raise ValueError(f"unknown model_type {model_type!r}; expected one of: {expected}")


def task_of_collection(collection: str) -> Task | None:
    """The task whose Registry collection is `collection`, or None for any other name."""
    return next((t for t in _TABLE if t.collection == collection), None)


def project_name(task_name: str) -> str:
    """The W&B project of a task: `wandb-e2e-demo-<task>`."""
    return task(task_name).project


def registry_project(registry: str = REGISTRY) -> str:
    """`wandb-registry-<registry>`: the project a Registry's collections live in."""
    return f"wandb-registry-{registry}"


def registry_path(
    collection: str,
    *,
    entity: str | None = None,
    version: str | None = None,
    registry: str = REGISTRY,
) -> str:
    """`[entity/]wandb-registry-<registry>/<collection>[:version]`.

    Without entity: the target of `run.link_artifact`. With entity and a version or alias: what
    `wandb.Api().artifact()` takes and what the Automation's webhook sends.
    """
    path = f"{registry_project(registry)}/{collection}"
    if entity:
        path = f"{entity}/{path}"
    return f"{path}:{version}" if version else path


def collection_for(collection: str, *, smoke: bool) -> str:
    """The collection a model links into: `<collection>-smoke` for smoke runs, else unchanged."""
    if smoke and not collection.endswith(SMOKE_SUFFIX):
        return collection + SMOKE_SUFFIX
    return collection
