"""Fine-tune ResNet-18 on CIFAR-10 (or your images) and record everything in W&B.

    uv run --package cls-train cls-train --smoke          # synthetic data, CPU, < 1 min
    uv run --package cls-train cls-train                  # CIFAR-10, pretrained, Colab T4
    accelerate launch -m cls_train.cli --epochs 5         # several GPUs

The W&B calls a demo audience should see are in this file: `run.log` each epoch, `wandb.Table`
and `wandb.Image` for the sample and prediction tables, the confusion matrix, and the model
artifact linked into the Registry. Plumbing (online/offline, model card, queued links) is in
wb_common.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import wandb
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader
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

from cls_train.config import TASK, Config, check_config
from cls_train.data import ImageTensors, build_dataloaders, dataset_files, prepare_batch
from cls_train.model import (
    WEIGHTS_FILE,
    build_model,
    mixed_precision,
    model_card,
)


@dataclass
class TrainResult:
    metrics: dict[str, float]  # the last epoch's validation metrics, e.g. {"val/acc": 0.93}
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


def build_scheduler(
    cfg: Config, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Cosine decay over all `cfg.epochs`, stepped once per batch (--resume loads its state)."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs * steps_per_epoch)


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
    img_size: int,
) -> dict[str, float]:
    model.train()
    totals = torch.zeros(3, device=accelerator.device)  # loss sum, correct, seen
    for images, labels in progress(
        loader, "학습 / train", main_process=accelerator.is_main_process
    ):
        inputs = prepare_batch(images, img_size, train=True)
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
    """Validation loss and accuracy, plus every (probabilities, label) in dataset order."""
    model.eval()
    all_probs, all_labels = [], []
    for images, labels in loader:
        with accelerator.autocast():
            logits = model(prepare_batch(images, img_size, train=False))
        probs, labels = accelerator.gather_for_metrics((logits.float().softmax(1), labels))
        all_probs.append(probs.cpu())
        all_labels.append(labels.cpu())
    probs, labels = torch.cat(all_probs), torch.cat(all_labels)
    metrics = {
        "val/loss": F.nll_loss(probs.clamp_min(1e-12).log(), labels).item(),
        "val/acc": (probs.argmax(1) == labels).float().mean().item(),
    }
    return metrics, probs, labels


def sample_table(data: ImageTensors, n: int) -> wandb.Table:
    """Dataset preview: the first `n` images of each class in turn, with their label."""
    table = wandb.Table(columns=["image", "label"])
    per_class = max(1, n // len(data.class_names))
    for class_id, name in enumerate(data.class_names):
        for index in (data.labels == class_id).nonzero().flatten()[:per_class].tolist():
            table.add_data(wandb.Image(data.images[index].permute(1, 2, 0).numpy()), name)
    return table


def prediction_table(data: ImageTensors, probs: torch.Tensor, n: int) -> wandb.Table:
    """The first `n` validation images with truth, prediction and the model's confidence."""
    table = wandb.Table(columns=["image", "truth", "prediction", "confidence", "correct"])
    confidence, predicted = probs[:n].max(1)
    for index in range(min(n, len(data))):
        truth = data.class_names[data.labels[index]]
        guess = data.class_names[predicted[index]]
        table.add_data(
            wandb.Image(data.images[index].permute(1, 2, 0).numpy()),
            truth,
            guess,
            round(confidence[index].item(), 4),
            truth == guess,
        )
    return table


def dataset_metadata(train_data: ImageTensors, val_data: ImageTensors, source: str) -> dict:
    """What the dataset artifact says about itself: the W&B UI shows it beside the files."""
    return {
        "source": source,
        "class_names": train_data.class_names,
        "train_size": len(train_data),
        "val_size": len(val_data),
        "image_shape": list(train_data.images.shape[1:]),
    }


def epoch_summary(epoch: int, epochs: int, row: dict[str, float]) -> str:
    keys = ("train/loss", "train/acc", "val/loss", "val/acc")
    return f"epoch {epoch}/{epochs}  " + "  ".join(f"{k} {row[k]:.4f}" for k in keys)


def train(cfg: Config) -> TrainResult:
    """Train, evaluate each epoch, then version the model and link it to the Registry."""
    check_config(cfg)  # before any download: a bad flag costs nothing
    resumed = load_checkpoint(cfg.output_dir) if cfg.resume else None
    accelerator = Accelerator(mixed_precision=mixed_precision())
    set_seed(cfg.seed)

    train_loader, val_loader, class_names = build_dataloaders(cfg)
    model = build_model(cfg, num_classes=len(class_names)).to(memory_format=torch.channels_last)
    optimizer = build_optimizer(cfg, model)
    scheduler = build_scheduler(cfg, optimizer, steps_per_epoch=len(train_loader))
    start_epoch, history = restore(resumed, model=model, optimizer=optimizer, scheduler=scheduler)
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )
    train_data, val_data = train_loader.dataset, val_loader.dataset

    # One W&B run, on the main process only; the others get a disabled run with the same methods.
    # Leaving the `with` by an exception finishes the run with exit code 1: W&B shows it failed.
    run_id = resumed["run_id"] if resumed else None
    with start_run(TASK, cfg, run_id=run_id, disabled=not accelerator.is_main_process) as run:
        # The step of every row is the epoch (0: before training), and the charts plot by epoch:
        # a resumed run continues the same axis, online or offline, and never reuses a step.
        run.define_metric("epoch")
        run.define_metric("*", step_metric="epoch", step_sync=False)
        # --resume: what a kill -9 lost is logged again (the checkpoint's rows leaving the block).
        with log_again_what_was_lost(run, history) as previous:
            if previous.missing_artifact(cfg.dataset_name):  # fresh run, or lost in the kill
                files = dataset_files(cfg, train_data, val_data)
                metadata = dataset_metadata(train_data, val_data, source=cfg.dataset)
                log_dataset_artifact(run, cfg.dataset_name, path=files, metadata=metadata)
            if previous.missing("dataset/samples"):
                samples = sample_table(train_data, cfg.sample_table_size)
                run.log({"dataset/samples": samples}, step=0)

        metrics: dict[str, float] = {}
        for epoch in range(start_epoch, cfg.epochs + 1):
            train_metrics = train_one_epoch(
                model, train_loader, optimizer, scheduler, accelerator, cfg.img_size
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

        confusion = wandb.plot.confusion_matrix(
            y_true=labels.tolist(), preds=probs.argmax(1).tolist(), class_names=class_names
        )
        pred_table = prediction_table(val_data, probs, cfg.val_table_size)
        run.log({"val/predictions": pred_table, "val/confusion_matrix": confusion}, step=cfg.epochs)

        model_path = cfg.output_dir / WEIGHTS_FILE
        run_path = "" if run.disabled else run.path
        card = model_card(cfg, class_names=class_names, metrics=metrics, run_path=run_path)
        if accelerator.is_main_process:
            torch.save(accelerator.unwrap_model(model).state_dict(), model_path)
            artifact = log_model_artifact(run, cfg.model_name, model_path, card)
            link_to_registry(
                run, artifact, cfg.collection, aliases=["staging"], defer=cfg.sweep_trial
            )
        run_dir = None if run.disabled else Path(run.sync_dir)
        result = TrainResult(metrics, run.id, run_dir, model_path, card)
    accelerator.end_training()
    return result
