"""Fine-tune R3D-18 on a UCF-101 subset (or your videos) and record everything in W&B.

    uv run --package video-train video-train --smoke        # synthetic mp4s, CPU, ~1 min
    uv run --package video-train video-train                # UCF-101 subset, Kinetics weights, T4
    accelerate launch -m video_train.cli --epochs 8         # several GPUs

The W&B calls a demo audience should see are in this file: `run.log` each epoch, `wandb.Video`
inside `wandb.Table` for the sample and prediction tables, the per-class accuracy table, the
confusion matrix, and the model artifact linked into the Registry. The model card is built in
model.py (`model_card`); plumbing (online/offline, queued links, checkpoints) is in wb_common.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import wandb
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader
from torchmetrics.functional.classification import multiclass_accuracy
from wb_common import (
    ModelCard,
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
    start_run,
)
from wb_common.checkpoint import epoch_state, load_checkpoint, restore, save_checkpoint
from wb_common.progress import progress
from wb_common.resume import log_again_what_was_lost

from video_train.config import TASK, Config, check_config
from video_train.data import (
    UCF101_SUBSET_URL,
    VideoTensors,
    build_dataloaders,
    dataset_files,
    prepare_batch,
)
from video_train.model import (
    WEIGHTS_FILE,
    build_model,
    mixed_precision,
    model_card,
)


@dataclass
class TrainResult:
    metrics: dict[str, float]  # the last epoch's validation metrics, e.g. {"val/acc": 0.85}
    run_id: str
    run_dir: Path | None  # the local W&B run folder (None when W&B is disabled)
    model_path: Path
    card: ModelCard


def build_optimizer(cfg: Config, model: nn.Module) -> torch.optim.Optimizer:
    params = model.parameters()
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
    cfg: Config,
) -> dict[str, float]:
    model.train()
    totals = torch.zeros(3, device=accelerator.device)  # loss sum, correct, seen
    for clips, labels in progress(loader, "학습 / train", main_process=accelerator.is_main_process):
        inputs = prepare_batch(clips, cfg.img_size, train=True, hflip=cfg.hflip, crop=cfg.augment)
        with accelerator.autocast():
            logits = model(inputs)
            loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        optimizer.step()
        scheduler.step()
        # Sums stay on the device: no .item() sync per step.
        totals += torch.stack(
            [
                loss.detach() * len(labels),
                (logits.argmax(1) == labels).sum(),
                labels.new_tensor(len(labels)),
            ]
        )
    loss_sum, correct, seen = accelerator.reduce(totals, reduction="sum").tolist()
    return {"train/loss": loss_sum / seen, "train/acc": correct / seen}


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, accelerator: Accelerator, img_size: int
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """Validation loss, top-1 and top-5 accuracy, plus every (probabilities, label) in order."""
    model.eval()
    all_probs, all_labels = [], []
    for clips, labels in loader:
        with accelerator.autocast():
            logits = model(prepare_batch(clips, img_size, train=False))
        probs, labels = accelerator.gather_for_metrics((logits.float().softmax(1), labels))
        all_probs.append(probs.cpu())
        all_labels.append(labels.cpu())
    probs, labels = torch.cat(all_probs), torch.cat(all_labels)
    num_classes = probs.shape[1]
    metrics = {
        "val/loss": F.nll_loss(probs.clamp_min(1e-12).log(), labels).item(),
        "val/acc": (probs.argmax(1) == labels).float().mean().item(),
        # With fewer than 5 classes (the 4-direction smoke twin) top-5 covers them all: 1.0.
        "val/top5_acc": multiclass_accuracy(
            probs, labels, num_classes=num_classes, top_k=min(5, num_classes), average="micro"
        ).item(),
    }
    return metrics, probs, labels


def preview_indices(data: VideoTensors, n: int) -> list[int]:
    """About `n` clips for the dataset preview: the first clips of each class in turn."""
    per_class = max(1, n // len(data.class_names))
    return [
        index
        for class_id in range(len(data.class_names))
        for index in (data.labels == class_id).nonzero().flatten()[:per_class].tolist()
    ]


def sample_table(data: VideoTensors, indices: list[int], fps: int) -> wandb.Table:
    """Dataset preview: playable clips with their labels."""
    table = wandb.Table(columns=["video", "label"])
    for index in indices:
        # wandb.Video wants (T, C, H, W) uint8: exactly how the clips are stored.
        video = wandb.Video(data.clips[index].numpy(), fps=fps, format="mp4")
        table.add_data(video, data.class_names[data.labels[index]])
    return table


def prediction_table(data: VideoTensors, probs: torch.Tensor, n: int, fps: int) -> wandb.Table:
    """The first `n` validation clips with truth, prediction and the model's confidence."""
    table = wandb.Table(columns=["video", "truth", "prediction", "confidence", "correct"])
    confidence, predicted = probs[:n].max(1)
    for index in range(min(n, len(data))):
        truth = data.class_names[data.labels[index]]
        guess = data.class_names[predicted[index]]
        table.add_data(
            wandb.Video(data.clips[index].numpy(), fps=fps, format="mp4"),
            truth,
            guess,
            round(confidence[index].item(), 4),
            truth == guess,
        )
    return table


def per_class_table(
    probs: torch.Tensor, labels: torch.Tensor, class_names: list[str]
) -> wandb.Table:
    """Accuracy of each class on its own: the average hides a class the model never gets right."""
    accuracy = multiclass_accuracy(
        probs, labels, num_classes=len(class_names), average="none"
    ).tolist()
    counts = torch.bincount(labels, minlength=len(class_names)).tolist()
    table = wandb.Table(columns=["class", "accuracy", "clips"])
    for name, acc, count in zip(class_names, accuracy, counts, strict=True):
        table.add_data(name, round(acc, 4), count)
    return table


def dataset_preview(data: VideoTensors, cfg: Config) -> dict[str, Any]:
    """The step-0 media: a Table of playable clips with labels, and those clips as one video."""
    preview = preview_indices(data, cfg.sample_table_size)
    return {
        "dataset/samples": sample_table(data, preview, cfg.video_fps),
        # (B, T, C, H, W): W&B tiles the clips into one video, playable in the run page.
        "dataset/sample_videos": wandb.Video(
            data.clips[preview].numpy(), fps=cfg.video_fps, format="mp4"
        ),
    }


def evaluation_tables(
    data: VideoTensors, probs: torch.Tensor, labels: torch.Tensor, cfg: Config
) -> dict[str, Any]:
    """The last epoch's tables: predictions, per-class accuracy and the confusion matrix."""
    return {
        "val/predictions": prediction_table(data, probs, cfg.val_table_size, cfg.video_fps),
        "val/per_class_accuracy": per_class_table(probs, labels, data.class_names),
        "val/confusion_matrix": wandb.plot.confusion_matrix(
            y_true=labels.tolist(), preds=probs.argmax(1).tolist(), class_names=data.class_names
        ),
    }


def dataset_metadata(cfg: Config, train_data: VideoTensors, val_data: VideoTensors) -> dict:
    """What the dataset artifact says about itself: source, classes, sizes, clip shape."""
    return {
        "source": UCF101_SUBSET_URL if cfg.dataset == "ucf101-subset" else cfg.dataset,
        "class_names": train_data.class_names,
        "train_size": len(train_data),
        "val_size": len(val_data),
        "clip_shape": list(train_data.clips.shape[1:]),  # T, C, H, W as decoded
        "clip_duration": cfg.clip_duration,
    }


def epoch_summary(epoch: int, epochs: int, row: dict[str, float]) -> str:
    keys = ("train/loss", "train/acc", "val/loss", "val/acc", "val/top5_acc")
    return f"epoch {epoch}/{epochs}  " + "  ".join(f"{k} {row[k]:.4f}" for k in keys)


def train(cfg: Config) -> TrainResult:
    """Train, evaluate each epoch, then version the model and link it to the Registry."""
    check_config(cfg)  # before any download: a bad flag costs nothing
    resumed = load_checkpoint(cfg.output_dir) if cfg.resume else None
    accelerator = Accelerator(mixed_precision=mixed_precision())
    set_seed(cfg.seed)

    train_loader, val_loader, class_names = build_dataloaders(cfg)
    model = build_model(cfg, num_classes=len(class_names))
    optimizer = build_optimizer(cfg, model)
    steps = cfg.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    start_epoch, history = restore(resumed, model=model, optimizer=optimizer, scheduler=scheduler)
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )
    train_data, val_data = train_loader.dataset, val_loader.dataset

    # One W&B run, on the main process only; the others get a disabled run with the same methods.
    # Leaving `with` finishes it; an exception marks it failed (exit code 1).
    run_id = resumed["run_id"] if resumed else None
    with start_run(TASK, cfg, run_id=run_id, disabled=not accelerator.is_main_process) as run:
        # The step of every row is the epoch (0: before training), and the charts plot by epoch:
        # a resumed run continues the same axis, online or offline, and never reuses a step.
        run.define_metric("epoch")
        run.define_metric("*", step_metric="epoch", step_sync=False)
        # --resume: what a kill -9 lost is logged again (the checkpoint's rows leaving the block).
        with log_again_what_was_lost(run, history) as previous:
            if previous.missing_artifact(cfg.dataset_name):  # fresh run, or lost in the kill
                metadata = dataset_metadata(cfg, train_data, val_data)
                path = dataset_files(cfg)
                log_dataset_artifact(run, cfg.dataset_name, path=path, metadata=metadata)
            if previous.missing("dataset/samples"):
                run.log(dataset_preview(train_data, cfg), step=0)  # Table + tiled wandb.Video

        metrics: dict[str, float] = {}
        for epoch in range(start_epoch, cfg.epochs + 1):
            train_metrics = train_one_epoch(
                model, train_loader, optimizer, scheduler, accelerator, cfg
            )
            metrics, probs, labels = evaluate(model, val_loader, accelerator, cfg.img_size)
            row = {**train_metrics, **metrics, "epoch": epoch}
            run.log(row, step=epoch)
            history[epoch] = row  # --resume logs again what the run file lost
            accelerator.print(epoch_summary(epoch, cfg.epochs, row))
            if accelerator.is_main_process:
                save_checkpoint(cfg.output_dir, epoch_state(
                    epoch=epoch, run_id=run.id, history=history,
                    model=accelerator.unwrap_model(model), optimizer=optimizer, scheduler=scheduler,
                ))  # fmt: skip
        if not metrics:  # resumed a run that had already finished every epoch
            metrics, probs, labels = evaluate(model, val_loader, accelerator, cfg.img_size)

        # Predictions with playable clips, per-class accuracy, the confusion matrix.
        run.log(evaluation_tables(val_data, probs, labels, cfg), step=cfg.epochs)

        model_path = cfg.output_dir / WEIGHTS_FILE
        run_path = "" if run.disabled else run.path
        card = model_card(cfg, class_names=class_names, metrics=metrics, run_path=run_path)
        if accelerator.is_main_process:
            torch.save(accelerator.unwrap_model(model).state_dict(), model_path)
            artifact = log_model_artifact(run, cfg.model_name, model_path, card)
            link_to_registry(
                run, artifact, cfg.collection, aliases=["staging"], defer=cfg.sweep_trial
            )
        result = TrainResult(
            metrics=metrics,
            run_id=run.id,
            run_dir=None if run.disabled else Path(run.sync_dir),
            model_path=model_path,
            card=card,
        )
    accelerator.end_training()
    return result
