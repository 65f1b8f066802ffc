"""What each notebook must have recorded after a smoke run, read back from the offline runs.

    check_recorded("01_image_classification", workdir) -> ["problem", ...]   # [] = fine

`workdir` is any folder that holds the notebook's W&B runs somewhere below it (`<dir>/wandb/
offline-run-*`). Used by tests/test_notebooks.py (uv environment) and by the Colab-twin test, so
both check the same things: the history keys, media (masks, boxes, video), tables and artifacts
the notebook teaches, the one Registry link its training run queues (into `<collection>-smoke`:
a smoke model never enters the real collection), and, for the sweep, exactly one link — the best
trial's, made after the sweep, as `sweep-best`, and as `staging` only when it beats the training
run's model — plus the comparison report queued with the task's x-axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wb_common.pending import pending_actions
from wb_common.readback import RecordedRun, read_run

SMOKE_SUFFIX = "-smoke"


@dataclass(frozen=True)
class Expected:
    collection: str  # the real collection; smoke runs must link into `<collection>-smoke`
    model_type: str  # the model card's model_type
    dataset_artifact: str  # smoke dataset artifact name
    model_artifact: str  # smoke model artifact name
    weights_file: str  # inside the model artifact, beside model_card.json
    history: tuple[str, ...]  # scalar keys the notebook's run logs
    tables: dict[str, tuple[str, ...]]  # table key -> columns that must be there
    sweep_metric: str
    sweep_goal: str  # maximize | minimize
    report_x_axis: str
    masks: tuple[str, ...] = ()  # media keys whose images carry predictions + ground_truth masks
    boxes: tuple[str, ...] = ()  # media keys whose images carry predictions + ground_truth boxes
    videos: tuple[str, ...] = ()  # media keys holding an mp4
    images: tuple[str, ...] = ()  # media keys holding plain images
    table_media: dict[str, str] = field(default_factory=dict)  # table key -> _type of column 0


EXPECTED: dict[str, Expected] = {
    "01_image_classification": Expected(
        collection="cifar10-classifier",
        model_type="classification",
        dataset_artifact="synthetic-cifar10",
        model_artifact="resnet18-synthetic-cifar10",
        weights_file="model.pth",
        history=("train/loss", "train/acc", "val/loss", "val/acc", "epoch"),
        tables={
            "dataset/samples": ("image", "label"),
            "val/predictions": ("image", "truth", "prediction", "confidence", "correct"),
            "val/confusion_matrix_table": (),
        },
        table_media={"dataset/samples": "image-file", "val/predictions": "image-file"},
        sweep_metric="val/acc",
        sweep_goal="maximize",
        report_x_axis="epoch",
    ),
    "02_image_segmentation": Expected(
        collection="pet-segmenter",
        model_type="segmentation",
        dataset_artifact="synthetic-pets",
        model_artifact="deeplabv3-mobilenet-v3-synthetic-pets",
        weights_file="model.pth",
        history=("train/loss", "val/loss", "val/mean_iou", "val/pixel_acc", "val/dice", "epoch"),
        tables={
            "dataset/samples": ("image", "mask_overlay"),
            "val/predictions": ("image", "ground_truth", "prediction", "iou", "pixel_acc"),
        },
        table_media={"dataset/samples": "image-file", "val/predictions": "image-file"},
        masks=("val/examples", "val/overlays"),
        sweep_metric="val/mean_iou",
        sweep_goal="maximize",
        report_x_axis="epoch",
    ),
    "03_image_detection": Expected(
        collection="coco128-detector",
        model_type="detection",
        dataset_artifact="synthetic-shapes",
        model_artifact="yolov8n-synthetic-shapes",
        weights_file="best.pt",
        history=("train/box_loss", "val/mAP50", "epoch"),
        tables={
            "dataset/samples": ("image", "objects", "classes"),
            "val/per_class_ap": ("class", "AP50"),
            "val/predictions": ("image", "detections", "classes", "confidences"),
        },
        table_media={"dataset/samples": "image-file", "val/predictions": "image-file"},
        boxes=("val/examples",),
        sweep_metric="val/mAP50",
        sweep_goal="maximize",
        report_x_axis="epoch",
    ),
    "04_video_classification": Expected(
        collection="ucf101-classifier",
        model_type="video-classification",
        dataset_artifact="synthetic-motion",
        model_artifact="r3d18-synthetic-motion",
        weights_file="model.pth",
        history=("train/loss", "train/acc", "val/loss", "val/acc", "val/top5_acc", "epoch"),
        tables={
            "dataset/samples": ("video", "label"),
            "val/predictions": ("video", "truth", "prediction", "confidence", "correct"),
            "val/per_class_accuracy": (),
            "val/confusion_matrix_table": (),
        },
        table_media={"dataset/samples": "video-file", "val/predictions": "video-file"},
        videos=("dataset/sample_videos",),
        sweep_metric="val/acc",
        sweep_goal="maximize",
        report_x_axis="epoch",
    ),
    "05_llm_finetuning": Expected(
        collection="qwen3-4b-ko-lora",
        model_type="llm-lora",
        dataset_artifact="ko-instructions-smoke",
        model_artifact="tiny-qwen3-lora-ko-instructions-smoke",
        weights_file="adapter_model.safetensors",
        history=("train/loss", "eval/loss", "eval/perplexity", "train/global_step"),
        tables={
            "dataset/samples": ("instruction", "response"),
            "eval/generations": ("prompt", "before", "after"),
        },
        sweep_metric="eval/perplexity",
        sweep_goal="minimize",
        report_x_axis="train/global_step",
    ),
    "06_image_generation": Expected(
        collection="sd15-naruto-lora",
        model_type="diffusion-lora",
        dataset_artifact="synthetic-captions",
        model_artifact="sd15-lora-synthetic-captions",
        weights_file="pytorch_lora_weights.safetensors",
        history=("train/loss", "train/step", "val/loss"),
        tables={
            "dataset/samples": ("image", "caption"),
            "eval/samples": ("prompt", "image", "seed", "step"),
        },
        table_media={"dataset/samples": "image-file"},
        images=("generated",),
        sweep_metric="val/loss",
        sweep_goal="minimize",
        report_x_axis="train/step",
    ),
}


def run_dirs(workdir: Path) -> list[Path]:
    """Every W&B run folder (offline or online) at any depth below `workdir`, by folder name.

    Not wb_common.find_run_dirs, which looks in one wandb folder: this searches the notebook's
    whole working folder. The checks below never rely on the order (by name is not by start time).
    """
    found = {
        p.resolve()
        for p in Path(workdir).rglob("*run-*")
        if p.is_dir() and not p.is_symlink() and list(p.glob("*.wandb"))
    }
    return sorted(found, key=lambda p: p.name)


def links(run_dir: Path) -> list[dict[str, Any]]:
    return [a for a in pending_actions(run_dir) if a["action"] == "link"]


def reports(run_dir: Path) -> list[dict[str, Any]]:
    return [a for a in pending_actions(run_dir) if a["action"] == "report"]


def check_recorded(notebook_stem: str, workdir: Path) -> list[str]:
    """Human-readable problems with what the notebook recorded under `workdir` ([] = fine)."""
    if notebook_stem not in EXPECTED:
        return []  # e.g. 07_automations: it trains no model of its own
    expected = EXPECTED[notebook_stem]
    dirs = run_dirs(workdir)
    if not dirs:
        return [f"{notebook_stem}: no W&B run folder under {workdir}"]
    runs = [read_run(d) for d in dirs]
    problems: list[str] = []
    notebook_runs = [r for r in runs if "notebook" in r.tags]
    if len(notebook_runs) != 1:
        problems.append(
            f"expected one run tagged 'notebook' (the training run), found {len(notebook_runs)}"
        )
    else:
        problems += _check_training_run(notebook_runs[0], expected)
    trials = [r for r in runs if r.group.startswith("sweep-")]
    training = notebook_runs[0] if len(notebook_runs) == 1 else None
    problems += _check_sweep(trials, expected, training)
    return [f"{notebook_stem}: {p}" for p in problems]


def _check_training_run(run: RecordedRun, expected: Expected) -> list[str]:
    problems = []
    if run.exit_code not in (0, None):
        problems.append(f"training run exited with code {run.exit_code}")
    if not run.config:
        problems.append("training run recorded no config (wandb.init(config=...))")
    problems += _check_history(run, expected)
    problems += _check_tables(run, expected)
    problems += _check_media(run, expected)
    problems += _check_artifacts(run, expected)
    problems += _check_registry_link(run, expected)
    return problems


def _check_history(run: RecordedRun, expected: Expected) -> list[str]:
    problems = []
    missing = [k for k in expected.history if k not in run.history_keys]
    if missing:
        problems.append(f"training run logged no {missing}")
    for key in expected.history:
        values = [v for v in run.metric(key) if isinstance(v, (int, float))]
        if key in run.history_keys and not any(math.isfinite(v) for v in values):
            problems.append(f"{key} has no finite value")
    return problems


def _check_tables(run: RecordedRun, expected: Expected) -> list[str]:
    problems = []
    for key, columns in expected.tables.items():
        try:
            table = run.table(key)
        except KeyError as err:
            problems.append(str(err).strip("'\""))
            continue
        if not table.get("data"):
            problems.append(f"table {key} has no rows")
        absent = [c for c in columns if c not in table.get("columns", [])]
        if absent:
            problems.append(f"table {key} lacks columns {absent} (has {table.get('columns')})")
        media_type = expected.table_media.get(key)
        if media_type and table.get("data"):
            cell = table["data"][0][0]
            if not (isinstance(cell, dict) and cell.get("_type") == media_type):
                problems.append(f"table {key}'s first column is not {media_type}: {cell!r:.80}")
    return problems


def _check_media(run: RecordedRun, expected: Expected) -> list[str]:
    problems = []
    for key in expected.masks:
        problems += _check_layers(run, key, "all_masks", "masks")
    for key in expected.boxes:
        problems += _check_layers(run, key, "all_boxes", "boxes")
    for key in expected.videos:
        logged = run.media(key)
        if not logged or logged[-1].get("_type") != "video-file":
            problems.append(f"{key} holds no video (wandb.Video)")
    for key in expected.images:
        logged = run.media(key)
        if not logged or logged[-1].get("_type") not in ("images/separated", "image-file"):
            problems.append(f"{key} holds no images (wandb.Image)")
    return problems


def _check_registry_link(run: RecordedRun, expected: Expected) -> list[str]:
    run_links = links(run.path)
    target = f"wandb-registry-model/{expected.collection}{SMOKE_SUFFIX}"
    if len(run_links) != 1:
        return [f"training run queued {len(run_links)} Registry links, expected exactly 1"]
    if run_links[0]["target"] != target or run_links[0]["aliases"] != ["staging"]:
        return [
            f"training run links to {run_links[0]['target']} {run_links[0]['aliases']}, "
            f"expected {target} ['staging'] (smoke models never enter the real collection)"
        ]
    if run_links[0]["artifact"] != expected.model_artifact:
        return [f"training run links {run_links[0]['artifact']}, not the model artifact"]
    return []


def _check_layers(run: RecordedRun, key: str, field_name: str, what: str) -> list[str]:
    logged = run.media(key)
    if not logged:
        return [f"{key} was never logged"]
    last = logged[-1]
    layers = last.get(field_name)
    if last.get("_type") != "images/separated" or not layers:
        return [f"{key} carries no {what} (wandb.Image({what}=...)): {last.get('_type')}"]
    if not all({"predictions", "ground_truth"} <= set(layer) for layer in layers):
        return [f"{key}'s {what} lack the predictions or ground_truth layer"]
    return []


def _check_artifacts(run: RecordedRun, expected: Expected) -> list[str]:
    problems = []
    try:
        run.artifact(expected.dataset_artifact, "dataset")
    except KeyError as err:
        problems.append(str(err).strip("'\""))
    try:
        model = run.artifact(expected.model_artifact, "model")
    except KeyError as err:
        return [*problems, str(err).strip("'\"")]
    for name in (expected.weights_file, "model_card.json"):
        if name not in model.files:
            problems.append(f"model artifact lacks {name} (has {sorted(model.files)})")
    if "model_card.json" in model.files:
        card = model.read_json("model_card.json")
        if card.get("model_type") != expected.model_type:
            problems.append(f"model card says model_type {card.get('model_type')!r}")
        if model.metadata.get("model_type") != expected.model_type:
            problems.append("model artifact metadata does not carry the model card")
    # An LLM adapter ships the inference chat template; the training one (TRL's, with
    # {% generation %} markers for the loss mask) renders earlier turns differently.
    template = model.files.get("chat_template.jinja")
    if template is not None and "generation %}" in template.read_text(encoding="utf-8"):
        problems.append("model artifact ships the training chat template, not the inference one")
    return problems


def _check_sweep(
    trials: list[RecordedRun], expected: Expected, training: RecordedRun | None = None
) -> list[str]:
    if not trials:
        return ["no sweep trial runs (group sweep-...) were recorded"]
    problems = []
    groups = {t.group for t in trials}
    if len(groups) != 1:
        problems.append(f"sweep trials are spread over several groups: {sorted(groups)}")
    scored = [t for t in trials if isinstance(t.summary.get(expected.sweep_metric), (int, float))]
    if len(scored) != len(trials):
        problems.append(f"{len(trials) - len(scored)} trials have no {expected.sweep_metric}")
    trial_links = [(t, link) for t in trials for link in links(t.path)]
    target = f"wandb-registry-model/{expected.collection}{SMOKE_SUFFIX}"
    if len(trial_links) != 1:
        problems.append(
            f"the sweep queued {len(trial_links)} Registry links, expected exactly 1 "
            "(the best trial's, after the sweep; trials link nothing themselves)"
        )
    elif scored:
        linked_run, link = trial_links[0]
        pick = max if expected.sweep_goal == "maximize" else min
        best = pick(scored, key=lambda t: t.summary[expected.sweep_metric])
        if linked_run.summary.get(expected.sweep_metric) != best.summary[expected.sweep_metric]:
            problems.append("the sweep linked a trial that is not the best one")
        # sweep-best always; staging only when the best trial beats the model staging holds
        # (the notebook's training run, linked with staging before the sweep).
        staged = training.summary.get(expected.sweep_metric) if training else None
        value = best.summary[expected.sweep_metric]
        better = not isinstance(staged, (int, float)) or (
            value > staged if expected.sweep_goal == "maximize" else value < staged
        )
        aliases = ["sweep-best", "staging"] if better else ["sweep-best"]
        if link["target"] != target or link["aliases"] != aliases:
            problems.append(
                f"the sweep links to {link['target']} {link['aliases']}, expected {target} "
                f"{aliases} (best {value} vs staging's {staged})"
            )
    queued = [spec["spec"] for t in trials for spec in reports(t.path)]
    if len(queued) != 1:
        problems.append(f"the sweep queued {len(queued)} reports, expected 1")
    else:
        spec = queued[0]
        if spec.get("x_axis") != expected.report_x_axis:
            problems.append(
                f"the report plots against {spec.get('x_axis')!r}, "
                f"but the runs log by {expected.report_x_axis!r} (empty charts)"
            )
        if spec.get("group") not in groups:
            problems.append(f"the report shows group {spec.get('group')!r}, not the sweep's")
        if spec.get("metric") != expected.sweep_metric:
            problems.append(f"the report compares on {spec.get('metric')!r}")
    return problems


# Notebooks whose sweep cell prints one line per trial and a few closing lines, nothing else
# (measured in smoke: 01-04 print 6 lines for 3 trials, 05 5 lines and 2 progress tables for 2,
# 06 5 lines for 2).
QUIET_SWEEP = {
    "01_image_classification",
    "02_image_segmentation",
    "03_image_detection",
    "04_video_classification",
    "05_llm_finetuning",
    "06_image_generation",
}


def shown_lines(cells: Iterable[Any]) -> list[str]:
    """The non-empty text lines executed `cells` showed: streams, plain-text displays, errors."""
    text = []
    for cell in cells:
        for output in cell.get("outputs", []):
            text.append(output.get("text", ""))
            text.append(output.get("data", {}).get("text/plain", ""))
            text += output.get("traceback", [])
    return [line for line in "\n".join(text).splitlines() if line.strip()]


def sweep_cell_lines(notebook: Any) -> list[str]:
    """The lines the executed sweep cell (the one calling wandb.agent) showed."""
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and "wandb.agent(" in c.source]
    return shown_lines([cell])


def quiet_sweep_problems(notebook_stem: str, notebook: Any) -> list[str]:
    """What an executed notebook's sweep cell printed beyond one line per trial and a closing."""
    if notebook_stem not in QUIET_SWEEP:
        return []
    lines = sweep_cell_lines(notebook)
    shown = "\n".join(lines)
    trials = sum(line.startswith("시도 ") for line in lines)
    # a library's progress display (05: the HF Trainer's HTML table) may show once per trial
    progress = sum(line.startswith("<IPython.core.display.") for line in lines)
    problems = []
    if progress > trials:
        problems.append(f"{notebook_stem}: {progress} progress displays for {trials} trials")
    if not (trials >= 1 and len(lines) - progress <= trials + 5):
        problems.append(f"{notebook_stem}: the sweep cell printed {len(lines)} lines:\n{shown}")
    if any("Warning" in line or "Ignoring project" in line for line in lines):
        problems.append(f"{notebook_stem}: the sweep cell printed a warning:\n{shown}")
    return problems


def output_lines(notebook: Any) -> list[str]:
    """The lines every code cell showed but the install cell (pip's and git's own lines, which
    the Colab twin's install rules check)."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and "WB_DEMO_REPO" not in c.source]
    return shown_lines(cells)


# Notebooks whose every cell is checked for warnings: 07 runs no library's training loop, so any
# warning on its stage is ours to silence or fix.
NO_WARNINGS = {"07_automations"}


def warning_problems(notebook_stem: str, notebook: Any) -> list[str]:
    """The warning lines an executed notebook showed, where it must show none."""
    if notebook_stem not in NO_WARNINGS:
        return []
    warned = [line for line in output_lines(notebook) if "warning" in line.lower()]
    return [f"{notebook_stem} showed a warning: {line}" for line in warned]
