"""Fine-tune DeepLabV3-MobileNetV3 on Oxford-IIIT Pet trimaps and record everything in W&B.

    uv run --package seg-train seg-train --smoke          # synthetic pets, CPU, ~1 min
    uv run --package seg-train seg-train                  # Oxford-IIIT Pet, pretrained, Colab T4
    accelerate launch -m seg_train.cli --epochs 10        # several GPUs

The W&B calls a demo audience should see are in this file: `run.log` each epoch with the metrics
and `wandb.Image(..., masks=...)` (prediction and ground truth as toggleable overlays), the
`wandb.Table`s of samples and predictions, and the model artifact linked into the Registry.
Plumbing (online/offline, model card, queued links) is in wb_common.
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
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex
from torchmetrics.functional.segmentation import mean_iou
from torchmetrics.segmentation import DiceScore
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

from seg_train.config import TASK, Config, check_config
from seg_train.data import SegTensors, build_dataloaders, get_mapping, prepare_batch, raw_data_dir
from seg_train.model import (
    WEIGHTS_FILE,
    build_model,
    mixed_precision,
    model_card,
    set_train_mode,
)


@dataclass
class TrainResult:
    metrics: dict[str, float]  # the last epoch's validation metrics, e.g. {"val/mean_iou": 0.7}
    run_id: str
    run_dir: Path | None  # the local W&B run folder (None when W&B is disabled)
    model_path: Path
    card: ModelCard


def build_optimizer(cfg: Config, model: nn.Module) -> torch.optim.Optimizer:
    # Only what is trainable: with --freeze-backbone that is the DeepLabV3 head alone.
    params = [p for p in model.parameters() if p.requires_grad]
    # fused: one kernel for all 11M parameters instead of ~10 passes; on CPUs too (torch >= 2.4).
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)


def build_scheduler(
    cfg: Config, optimizer: torch.optim.Optimizer, steps_per_epoch: int, start_epoch: int = 1
) -> torch.optim.lr_scheduler.LRScheduler:
    """Warm-up, then cosine decay over all `cfg.epochs`, stepped once per batch.

    The new head starts random: a full lr at step 0 can wreck the pretrained ASPP weights (and
    from scratch, in --smoke, it makes the first steps unstable). A resumed run starts the curve
    where it left off, stretched to the current `cfg.epochs` (resuming with more epochs works).
    """
    done = (start_epoch - 1) * steps_per_epoch
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=cfg.lr,
        total_steps=cfg.epochs * steps_per_epoch,
        pct_start=0.2,
        last_epoch=done - 1,  # -1: a fresh schedule
    )


def build_metrics(num_classes: int) -> MetricCollection:
    """Pixel metrics over the whole validation set (one confusion matrix, not per-image means).

    IoU per class, as in torchvision's segmentation reference; dice is the pixel-level F1.
    """
    return MetricCollection(
        {
            "iou": MulticlassJaccardIndex(num_classes, average="none"),
            "pixel_acc": MulticlassAccuracy(num_classes, average="micro"),
            "dice": DiceScore(
                num_classes, average="macro", aggregation_level="global", input_format="index"
            ),
        }
    )


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
    img_size: int,
) -> dict[str, float]:
    set_train_mode(model)
    totals = torch.zeros(2, device=accelerator.device)  # loss sum, images seen
    for images, masks in progress(loader, "학습 / train", main_process=accelerator.is_main_process):
        inputs, targets = prepare_batch(images, masks, img_size, train=True)
        with accelerator.autocast():
            logits = model(inputs)["out"]  # (B, classes, H, W) at the input resolution
            loss = F.cross_entropy(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        optimizer.step()
        scheduler.step()
        # Sums stay on the device: no .item() sync per step.
        totals += torch.stack([loss.detach() * len(targets), loss.new_tensor(len(targets))])
    loss_sum, seen = accelerator.reduce(totals, reduction="sum").tolist()
    return {"train/loss": loss_sum / seen}


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: DataLoader,
    accelerator: Accelerator,
    img_size: int,
    class_names: list[str],
) -> tuple[dict[str, float], torch.Tensor]:
    """Validation loss and pixel metrics, plus every predicted mask `(N, H, W)` in dataset order."""
    model.eval()
    metrics = build_metrics(len(class_names)).to(accelerator.device)
    loss_sum, seen, all_preds = 0.0, 0, []
    for images, masks in loader:
        inputs, targets = prepare_batch(images, masks, img_size, train=False)
        with accelerator.autocast():
            logits = model(inputs)["out"]
        loss = F.cross_entropy(logits.float(), targets, reduction="sum")
        preds, targets, loss = accelerator.gather_for_metrics(
            (logits.argmax(1), targets, loss[None])
        )
        metrics.update(preds, targets)
        loss_sum += loss.sum().item()
        seen += targets.numel()
        all_preds.append(preds.to(torch.uint8).cpu())
    scores = metrics.compute()
    iou = scores["iou"].cpu()
    results = {
        "val/loss": loss_sum / seen,
        "val/mean_iou": iou.mean().item(),
        "val/pixel_acc": scores["pixel_acc"].item(),
        "val/dice": scores["dice"].item(),
        **{f"val/iou/{name}": iou[i].item() for i, name in enumerate(class_names)},
    }
    return results, torch.cat(all_preds)


def mask_image(
    image: torch.Tensor,
    class_names: list[str],
    ground_truth: torch.Tensor | None = None,
    prediction: torch.Tensor | None = None,
) -> wandb.Image:
    """An image with its masks as W&B overlays, each layer toggled and recoloured in the UI."""
    class_labels = dict(enumerate(class_names))
    masks = {}
    if prediction is not None:
        masks["predictions"] = {"mask_data": prediction.numpy(), "class_labels": class_labels}
    if ground_truth is not None:
        masks["ground_truth"] = {"mask_data": ground_truth.numpy(), "class_labels": class_labels}
    return wandb.Image(image.permute(1, 2, 0).numpy(), masks=masks or None)


def sample_table(data: SegTensors, n: int) -> wandb.Table:
    """Dataset preview: image, image with its ground-truth mask, and each class's pixel share."""
    fractions = [f"{name}_fraction" for name in data.class_names]
    table = wandb.Table(columns=["image", "mask_overlay", *fractions])
    for index in range(min(n, len(data))):
        image, mask = data.images[index], data.masks[index]
        counts = torch.bincount(mask.flatten().long(), minlength=len(data.class_names))
        shares = counts / mask.numel()
        table.add_data(
            wandb.Image(image.permute(1, 2, 0).numpy()),
            mask_image(image, data.class_names, ground_truth=mask),
            *(round(s, 4) for s in shares.tolist()),
        )
    return table


def prediction_table(data: SegTensors, preds: torch.Tensor, n: int) -> wandb.Table:
    """The first `n` validation images: ground truth, prediction and the IoU of each image."""
    table = wandb.Table(columns=["image", "ground_truth", "prediction", "iou", "pixel_acc"])
    num_classes = len(data.class_names)
    for index in range(min(n, len(data))):
        image, truth, guess = data.images[index], data.masks[index], preds[index]
        # Mean over the classes that occur in this image's truth or prediction.
        image_iou = mean_iou(
            guess[None].long(), truth[None].long(), num_classes, input_format="index"
        )
        table.add_data(
            wandb.Image(image.permute(1, 2, 0).numpy()),
            mask_image(image, data.class_names, ground_truth=truth),
            mask_image(image, data.class_names, prediction=guess),
            round(image_iou.item(), 4),
            round((guess == truth).float().mean().item(), 4),
        )
    return table


def dataset_metadata(train_data: SegTensors, val_data: SegTensors, cfg: Config) -> dict:
    """What the dataset artifact says about itself: the W&B UI shows it beside the files."""
    return {
        "source": cfg.dataset,
        "class_names": train_data.class_names,
        "trimap_to_class": get_mapping(cfg.class_mapping).trimap_json(),
        "train_size": len(train_data),
        "val_size": len(val_data),
        "image_shape": list(train_data.images.shape[1:]),
    }


def val_examples(data: SegTensors, preds: torch.Tensor, n: int) -> list[wandb.Image]:
    """The first `n` validation images with both mask layers: the same images every epoch."""
    return [
        mask_image(data.images[i], data.class_names, data.masks[i], preds[i])
        for i in range(min(n, len(data)))
    ]


def epoch_summary(epoch: int, epochs: int, row: dict[str, float]) -> str:
    keys = ("train/loss", "val/loss", "val/mean_iou", "val/pixel_acc", "val/dice")
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
    # No scheduler state: build_scheduler(..., start_epoch) puts the lr curve where it left off.
    start_epoch, history = restore(resumed, model=model, optimizer=optimizer)
    scheduler = build_scheduler(cfg, optimizer, len(train_loader), start_epoch)
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
                metadata = dataset_metadata(train_data, val_data, cfg)
                path = raw_data_dir(cfg)
                log_dataset_artifact(run, cfg.dataset_name, path=path, metadata=metadata)
            if previous.missing("dataset/samples"):
                samples = sample_table(train_data, cfg.sample_table_size)
                run.log({"dataset/samples": samples}, step=0)

        metrics: dict[str, float] = {}
        for epoch in range(start_epoch, cfg.epochs + 1):
            train_metrics = train_one_epoch(
                model, train_loader, optimizer, scheduler, accelerator, cfg.img_size
            )
            metrics, preds = evaluate(model, val_loader, accelerator, cfg.img_size, class_names)
            row = {**train_metrics, **metrics, "epoch": epoch}
            # The same validation images every epoch: scrub the step slider to watch masks improve.
            examples = val_examples(val_data, preds, cfg.media_samples)
            run.log({**row, "val/examples": examples}, step=epoch)
            history[epoch] = row  # --resume logs again what the run file lost
            accelerator.print(epoch_summary(epoch, cfg.epochs, row))
            if accelerator.is_main_process:
                save_checkpoint(cfg.output_dir, epoch_state(
                    epoch=epoch, run_id=run.id, history=history,
                    model=accelerator.unwrap_model(model), optimizer=optimizer,
                ))  # fmt: skip
        if not metrics:  # resumed a run that had already finished every epoch
            metrics, preds = evaluate(model, val_loader, accelerator, cfg.img_size, class_names)

        pred_table = prediction_table(val_data, preds, cfg.val_table_size)
        run.log({"val/predictions": pred_table}, step=cfg.epochs)

        model_path = cfg.output_dir / WEIGHTS_FILE
        card = model_card(cfg, metrics=metrics, run_path="" if run.disabled else run.path)
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
