"""Fine-tune Stable Diffusion 1.5 with LoRA on naruto-blip-captions and record it all in W&B.

    uv run --package gen-train gen-train --smoke          # tiny pipeline, synthetic, CPU, < 1 min
    uv run --package gen-train gen-train                  # SD 1.5, naruto, 500 steps, Colab T4
    accelerate launch -m gen_train.cli --train-steps 1000 # several GPUs

The loop is diffusers' text-to-image LoRA recipe in Accelerate: encode images to latents, add
noise at a random timestep, predict the noise from the caption, MSE. The W&B calls a demo
audience should see are in this file: `run.log` of `train/loss` every step, the same prompts with
the same seeds every `sample_every` steps as `generated` images, the final prompt Table, and the
LoRA artifact linked into the Registry. The card is `model.model_card`; plumbing (online/offline,
queued links) is in wb_common.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import wandb
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import DDPMScheduler, StableDiffusionPipeline
from diffusers.optimization import get_scheduler
from diffusers.utils import convert_state_dict_to_diffusers
from peft.utils import get_peft_model_state_dict, set_peft_model_state_dict
from PIL import Image
from torch.utils.data import DataLoader
from wb_common import (
    ModelCard,
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
    start_run,
)
from wb_common.checkpoint import load_checkpoint, save_checkpoint
from wb_common.resume import History, PreviousRecord, log_again_what_was_lost, scalars

from gen_train.config import NARUTO, TASK, Config, check_config
from gen_train.data import CaptionedImages, build_dataloaders, dataset_files, prepare_batch
from gen_train.model import (
    WEIGHTS_FILE,
    add_lora,
    build_pipeline,
    mixed_precision,
    model_card,
    noise_scheduler_for,
    optimizer_class,
    torch_dtype,
)


@dataclass
class TrainResult:
    metrics: dict[str, float]  # final {"val/loss": ..., "train/loss": ...}
    run_id: str
    run_dir: Path | None  # the local W&B run folder (None when W&B is disabled)
    lora_dir: Path  # holds pytorch_lora_weights.safetensors: `pipe.load_lora_weights(lora_dir)`
    card: ModelCard


def training_step(
    batch: tuple[torch.Tensor, torch.Tensor],
    pipe: StableDiffusionPipeline,
    unet: torch.nn.Module,
    noise_scheduler: DDPMScheduler,
    optimizer: torch.optim.Optimizer,
    lr_scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
    max_grad_norm: float,
) -> torch.Tensor:
    """One optimiser step of the standard noise-prediction objective; returns the loss."""
    images, input_ids = batch
    with torch.no_grad():  # the VAE and text encoder are frozen: no activations kept for them
        pixels = prepare_batch(images, train=True).to(pipe.vae.dtype)
        latents = pipe.vae.encode(pixels).latent_dist.sample() * pipe.vae.config.scaling_factor
        text_embeddings = pipe.text_encoder(input_ids, return_dict=False)[0]
    noise = torch.randn_like(latents)
    timesteps = torch.randint(
        0, noise_scheduler.config.num_train_timesteps, (len(latents),), device=latents.device
    )
    noisy_latents = noise_scheduler.add_noise(latents, noise, timesteps)
    with accelerator.autocast():
        prediction = unet(noisy_latents, timesteps, text_embeddings, return_dict=False)[0]
    loss = F.mse_loss(prediction.float(), _target(noise_scheduler, latents, noise, timesteps))
    accelerator.backward(loss)
    if accelerator.sync_gradients:
        accelerator.clip_grad_norm_(unet.parameters(), max_grad_norm)
    optimizer.step()
    lr_scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


def _target(
    scheduler: DDPMScheduler, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor
) -> torch.Tensor:
    # SD 1.5 predicts the noise ("epsilon"); SD 2.x-style checkpoints predict the velocity.
    if scheduler.config.prediction_type == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps).float()
    return noise.float()


@torch.no_grad()
def evaluate(
    pipe: StableDiffusionPipeline,
    unet: torch.nn.Module,
    noise_scheduler: DDPMScheduler,
    val_loader: DataLoader,
    accelerator: Accelerator,
    seed: int,
) -> dict[str, float]:
    """val/loss: the same objective on held-out images with fixed noise and timesteps.

    The training loss jumps with every random timestep; with everything fixed, two evaluations
    (and two sweep trials) differ only because the weights do.
    """
    unet.eval()
    generator = torch.Generator().manual_seed(seed)
    total, count = torch.zeros((), device=accelerator.device), 0
    for images, input_ids in val_loader:
        latents = pipe.vae.encode(prepare_batch(images, train=False).to(pipe.vae.dtype))
        latents = latents.latent_dist.mode() * pipe.vae.config.scaling_factor
        noise = torch.randn(latents.shape, generator=generator).to(latents)
        timesteps = torch.randint(
            0, noise_scheduler.config.num_train_timesteps, (len(latents),), generator=generator
        ).to(latents.device)
        noisy_latents = noise_scheduler.add_noise(latents, noise, timesteps)
        text_embeddings = pipe.text_encoder(input_ids, return_dict=False)[0]
        with accelerator.autocast():
            prediction = unet(noisy_latents, timesteps, text_embeddings, return_dict=False)[0]
        target = _target(noise_scheduler, latents, noise, timesteps)
        losses = F.mse_loss(prediction.float(), target, reduction="none").mean((1, 2, 3))
        losses = accelerator.gather_for_metrics(losses)
        total += losses.sum()
        count += len(losses)
    unet.train()
    return {"val/loss": total.item() / count}


@torch.no_grad()
def sample(
    pipe: StableDiffusionPipeline,
    prompts: list[str],
    seeds: list[int],
    cfg: Config,
    accelerator: Accelerator,
) -> list[Image.Image]:
    """One image per prompt, each from its own fixed seed: rerun, and only the weights differ."""
    generators = [torch.Generator(accelerator.device).manual_seed(s) for s in seeds]
    pipe.unet.eval()
    with accelerator.autocast():  # frozen weights in half precision, LoRA in fp32
        images = pipe(
            prompts,
            height=cfg.resolution,
            width=cfg.resolution,
            num_inference_steps=cfg.num_inference_steps,
            guidance_scale=cfg.guidance_scale,
            generator=generators,
        ).images
    pipe.unet.train()
    return images


def captioned_images(images: list[Image.Image], prompts: list[str]) -> list[wandb.Image]:
    """What `generated` holds: the images, each captioned with its prompt."""
    return [wandb.Image(image, caption=p) for image, p in zip(images, prompts, strict=True)]


def sample_seeds(cfg: Config, prompts: list[str]) -> list[int]:
    return [cfg.sample_seed + i for i in range(len(prompts))]


def sample_table(data: CaptionedImages, n: int) -> wandb.Table:
    """Dataset preview: the first `n` training images with their captions."""
    table = wandb.Table(columns=["image", "caption"])
    for index in range(min(n, len(data))):
        table.add_data(
            wandb.Image(data.images[index].permute(1, 2, 0).numpy()), data.captions[index]
        )
    return table


def final_table(
    prompts: list[str], images: list[Image.Image], seeds: list[int], step: int
) -> wandb.Table:
    """The last word: every final prompt, its image, the seed that reproduces it, the step."""
    table = wandb.Table(columns=["prompt", "image", "seed", "step"])
    for prompt, image, seed in zip(prompts, images, seeds, strict=True):
        table.add_data(prompt, wandb.Image(image, caption=prompt), seed, step)
    return table


def save_lora(unet: torch.nn.Module, lora_dir: Path) -> Path:
    """The adapter in diffusers' format: `pipe.load_lora_weights(lora_dir)` reads it back."""
    state = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    StableDiffusionPipeline.save_lora_weights(
        lora_dir, unet_lora_layers=state, safe_serialization=True
    )
    return lora_dir / WEIGHTS_FILE


def endless_batches(loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The loader's batches, epoch after epoch: training counts steps, not epochs."""
    while True:
        yield from loader


@dataclass
class LoraTraining:
    """What the loop works with: the pipeline, the LoRA-wrapped UNet and what trains it."""

    pipe: StableDiffusionPipeline  # keeps the bare UNet, for sampling
    unet: torch.nn.Module  # the same UNet as prepared by Accelerate: training steps use it
    noise_scheduler: DDPMScheduler
    optimizer: torch.optim.Optimizer
    lr_scheduler: torch.optim.lr_scheduler.LRScheduler
    train_loader: DataLoader
    val_loader: DataLoader
    accelerator: Accelerator


def build_training(cfg: Config, resumed: dict[str, Any] | None) -> LoraTraining:
    """The frozen pipeline with a fresh LoRA (or the checkpoint's), loaders and optimiser,
    prepared by Accelerate. Every download happens here, before a W&B run exists."""
    accelerator = Accelerator(mixed_precision=mixed_precision())
    set_seed(cfg.seed)
    # The frozen weights in half precision halve their memory; the LoRA layers stay fp32.
    pipe = build_pipeline(cfg, dtype=torch_dtype(accelerator.mixed_precision))
    pipe.vae.requires_grad_(False)
    pipe.text_encoder.requires_grad_(False)
    lora_params = add_lora(pipe.unet, cfg.lora_rank)
    if cfg.gradient_checkpointing:
        pipe.unet.enable_gradient_checkpointing()
    pipe.to(accelerator.device)
    train_loader, val_loader = build_dataloaders(cfg, pipe.tokenizer)
    optimizer = optimizer_class(cfg.use_8bit_adam, torch.cuda.is_available())(
        lora_params, lr=cfg.lr
    )
    lr_scheduler = get_scheduler(
        "constant_with_warmup", optimizer, num_warmup_steps=cfg.lr_warmup_steps
    )
    if resumed is not None:
        set_peft_model_state_dict(pipe.unet, resumed["lora"])
        optimizer.load_state_dict(resumed["optimizer"])
        lr_scheduler.load_state_dict(resumed["lr_scheduler"])
    # The pipeline keeps the bare UNet for sampling; training steps go through the wrapper.
    unet, optimizer, train_loader, val_loader, lr_scheduler = accelerator.prepare(
        pipe.unet, optimizer, train_loader, val_loader, lr_scheduler
    )
    return LoraTraining(
        pipe, unet, noise_scheduler_for(pipe), optimizer, lr_scheduler, train_loader, val_loader,
        accelerator,
    )  # fmt: skip


def dataset_metadata(cfg: Config, training: LoraTraining) -> dict[str, Any]:
    """What the dataset artifact says about itself: where it came from and how big it is."""
    return {
        "source": NARUTO if cfg.dataset == "naruto" else "gen_train.data (generated)",
        "train_size": len(training.train_loader.dataset),
        "val_size": len(training.val_loader.dataset),
        "resolution": cfg.resolution,
    }


def validation_metrics(training: LoraTraining, cfg: Config) -> dict[str, float]:
    """`evaluate` on the validation images, with the run's fixed noise seed."""
    return evaluate(
        training.pipe,
        training.unet,
        training.noise_scheduler,
        training.val_loader,
        training.accelerator,
        cfg.seed,
    )


def evaluate_and_sample(
    run: wandb.Run, step: int, training: LoraTraining, cfg: Config, history: History
) -> dict[str, float]:
    """val/loss and the eval prompts' images at `step`, logged as one row (the base model's at
    step 0, then every `sample_every` steps) and kept in `history`. Returns the val metrics."""
    val_metrics = validation_metrics(training, cfg)
    seeds = sample_seeds(cfg, cfg.eval_prompts)
    images = sample(training.pipe, cfg.eval_prompts, seeds, cfg, training.accelerator)
    row = {**val_metrics, "train/step": step}
    run.log({**row, "generated": captioned_images(images, cfg.eval_prompts)}, step=step)
    history.setdefault(step, {}).update(scalars(row))
    return val_metrics


def final_samples(training: LoraTraining, cfg: Config, step: int) -> wandb.Table:
    """Every final prompt drawn from its own seed, in the `eval/samples` Table."""
    seeds = sample_seeds(cfg, cfg.final_prompts)
    images = sample(training.pipe, cfg.final_prompts, seeds, cfg, training.accelerator)
    return final_table(cfg.final_prompts, images, seeds, step)


def save_resume_checkpoint(
    training: LoraTraining, cfg: Config, step: int, run_id: str, history: History
) -> None:
    """The checkpoint --resume needs (main process only): the LoRA, optimiser and schedule, the
    step, the W&B run and what the run logged so far (--resume logs again what a kill lost)."""
    if not training.accelerator.is_main_process:
        return
    state = {
        "lora": get_peft_model_state_dict(training.accelerator.unwrap_model(training.unet)),
        "optimizer": training.optimizer.state_dict(),
        "lr_scheduler": training.lr_scheduler.state_dict(),
        "step": step,
        "run_id": run_id,
        "history": {step: scalars(row) for step, row in history.items()},  # weights_only loads
    }
    save_checkpoint(cfg.output_dir, state)


def log_dataset(run: Any, cfg: Config, training: LoraTraining, previous: PreviousRecord) -> None:
    """The dataset artifact and its sample table, unless the run already holds them (--resume)."""
    if previous.missing_artifact(cfg.dataset_name):  # fresh run, or lost in the kill
        train_data, val_data = training.train_loader.dataset, training.val_loader.dataset
        files = dataset_files(cfg, train_data, val_data)
        metadata = dataset_metadata(cfg, training)
        log_dataset_artifact(run, cfg.dataset_name, path=files, metadata=metadata)
    if previous.missing("dataset/samples"):
        samples = sample_table(training.train_loader.dataset, cfg.sample_table_size)
        run.log({"dataset/samples": samples}, step=0)


def train(cfg: Config) -> TrainResult:
    """Train for `train_steps`, sampling as it goes, then version the LoRA and link it."""
    check_config(cfg)  # before any download: a bad flag costs nothing
    resumed = load_checkpoint(cfg.output_dir) if cfg.resume else None
    training = build_training(cfg, resumed)
    start_step = resumed["step"] if resumed else 0
    history = resumed.get("history", {}) if resumed else {}  # step -> the numbers logged there
    run_id = resumed["run_id"] if resumed else None
    with start_run(
        TASK, cfg, run_id=run_id, disabled=not training.accelerator.is_main_process
    ) as run:
        # Every row is logged at step=train/step (the optimizer step; 0: the base model) and
        # charts plot against it: a resumed run continues the same axis, never reusing a step.
        run.define_metric("train/step")
        for key in ("train/*", "val/*", "epoch", "generated"):
            run.define_metric(key, step_metric="train/step")
        # --resume: what a kill -9 lost is logged again (the checkpoint's rows on leaving the
        # block, before step 0's baseline below: a fresh run's, never lost, nothing to log again).
        with log_again_what_was_lost(run, history) as previous:
            log_dataset(run, cfg, training, previous)
        if start_step == 0:  # the base model's val/loss and images: the baseline
            val_metrics = evaluate_and_sample(run, 0, training, cfg, history)

        batches = endless_batches(training.train_loader)
        recent_losses: deque[float] = deque(maxlen=cfg.sample_every)  # card: their mean
        for step in range(start_step + 1, cfg.train_steps + 1):
            loss = training_step(
                next(batches), training.pipe, training.unet, training.noise_scheduler,
                training.optimizer, training.lr_scheduler, training.accelerator, cfg.max_grad_norm,
            )  # fmt: skip
            loss = training.accelerator.reduce(loss, reduction="mean").item()
            recent_losses.append(loss)
            row = {
                "train/loss": loss,
                "train/lr": training.lr_scheduler.get_last_lr()[0],
                "train/step": step,
                "epoch": step / len(training.train_loader),
            }
            run.log(row, step=step)
            history[step] = row  # --resume logs again what the run file lost
            if step % cfg.sample_every == 0 or step == cfg.train_steps:
                val_metrics = evaluate_and_sample(run, step, training, cfg, history)
                training.accelerator.print(
                    f"step {step}/{cfg.train_steps}  train/loss {loss:.4f}  "
                    f"val/loss {val_metrics['val/loss']:.4f}"
                )
            if step % cfg.checkpoint_every == 0 or step == cfg.train_steps:
                save_resume_checkpoint(training, cfg, step, run.id, history)
        if start_step >= cfg.train_steps:  # resumed a run that had already finished every step
            val_metrics = validation_metrics(training, cfg)

        last_step = max(cfg.train_steps, start_step)
        run.log({"eval/samples": final_samples(training, cfg, last_step)}, step=last_step)

        metrics = dict(val_metrics)
        if recent_losses:
            metrics["train/loss"] = sum(recent_losses) / len(recent_losses)
        card = model_card(cfg, metrics=metrics, run_path="" if run.disabled else run.path)
        lora_dir = cfg.output_dir / "lora"
        if training.accelerator.is_main_process:
            weights = save_lora(training.accelerator.unwrap_model(training.unet), lora_dir)
            artifact = log_model_artifact(run, cfg.model_name, weights, card)
            link_to_registry(
                run, artifact, cfg.collection, aliases=["staging"], defer=cfg.sweep_trial
            )
        result = TrainResult(
            metrics, run.id, None if run.disabled else Path(run.sync_dir), lora_dir, card
        )
    training.accelerator.end_training()
    return result
