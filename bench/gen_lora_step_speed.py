"""Training speed and peak memory of the SD 1.5 LoRA step, activation checkpointing off and on.

    uv run --all-packages python bench/gen_lora_step_speed.py                    # GPU, its rule
    uv run --all-packages python bench/gen_lora_step_speed.py --precision fp16   # a T4's path
    uv run --all-packages python bench/gen_lora_step_speed.py --tiny             # CPU

The UNet, VAE and CLIP text encoder are built from SD 1.5's published configs
(stable-diffusion-v1-5 unet/, vae/, text_encoder/config.json) with random weights: speed and
memory depend on the architecture, not on the values, and nothing is downloaded. Everything else
is gen-train's own: `build_training` (frozen weights in the precision's dtype, LoRA on the UNet's
attention, AdamW, Accelerate) on its synthetic captioned images at 512 px, and `training_step`
(VAE encode, text encoder, UNet forward and backward). One precision a process: accelerate fixes
it once (default: wb_common.precision's rule for this GPU; run again with --precision for the
other). Prints one line per setting.

Result: not run on a GPU yet (no GPU was available to this repository's work machines). The
`--tiny` run (2026-11-30 06:10 UTC: the smoke pipeline at 32 px, batch 2, fp32, 20 measured
steps; torch 2.15.0 on 2 vCPUs shared with other agents' tests, load average 4.6 -> 3.2): 1.39
steps/s without and 8.22 with checkpointing, same last loss 1.081 (same seed, same math); an
earlier run at load 5-6 gave 0.19 and 0.30. At 32 px on a busy CPU the order of the two settings
and the load decide these numbers: the run says the code path works, nothing about speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import tempfile
import time
from pathlib import Path
from unittest import mock

import torch
from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
from gen_train import train as gen_train
from gen_train.config import Config, smoke_config
from gen_train.model import build_tiny_pipeline
from transformers import CLIPTextConfig, CLIPTextModel

# unet/config.json, vae/config.json, text_encoder/config.json of stable-diffusion-v1-5.
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
)  # fmt: skip
SD15_VAE = dict(
    block_out_channels=(128, 256, 512, 512), in_channels=3, out_channels=3, latent_channels=4,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    layers_per_block=2, sample_size=512,
)  # fmt: skip
SD15_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_attention_heads=12,
    num_hidden_layers=12, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
)  # fmt: skip


def sd15_pipeline(tokenizer_dir: Path) -> StableDiffusionPipeline:
    """SD 1.5's UNet (860M), VAE and text encoder at their real sizes, random weights.

    The tokenizer and scheduler are the smoke pipeline's (SD 1.5's scheduler config; training
    takes token ids, and any id < 49408 indexes the embedding). Build it under
    `torch.device("cuda")` to initialise on the GPU in seconds instead of a CPU minute.
    """
    tiny = build_tiny_pipeline(tokenizer_dir)
    return StableDiffusionPipeline(
        vae=AutoencoderKL(**SD15_VAE),
        text_encoder=CLIPTextModel(CLIPTextConfig(**SD15_TEXT)),
        tokenizer=tiny.tokenizer,
        unet=UNet2DConditionModel(**SD15_UNET),
        scheduler=tiny.scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def lora_training(cfg: Config, precision: str, device: torch.device) -> gen_train.LoraTraining:
    """gen-train's `build_training(cfg)` with `precision`, and SD 1.5's shapes at random weights
    in place of the download (the smoke config keeps its own tiny pipeline)."""
    build_pipeline = gen_train.build_pipeline

    def random_sd15(cfg: Config, dtype: torch.dtype) -> StableDiffusionPipeline:
        if cfg.smoke:
            return build_pipeline(cfg, dtype)
        with torch.device(device):
            return sd15_pipeline(cfg.output_dir / "tokenizer").to(dtype)

    threads = torch.get_num_threads()  # the tiny pipeline pins one thread for its own tests
    with (
        mock.patch.object(gen_train, "build_pipeline", random_sd15),
        mock.patch.object(gen_train, "mixed_precision", lambda: precision),
    ):
        training = gen_train.build_training(cfg, resumed=None)
    torch.set_num_threads(threads)
    return training


def train_steps(training: gen_train.LoraTraining, cfg: Config, steps: int, it=None) -> list[float]:
    """`steps` of gen-train's `training_step` on the training loader; the losses."""
    it = it or gen_train.endless_batches(training.train_loader)
    step = gen_train.training_step
    args = (
        training.pipe,
        training.unet,
        training.noise_scheduler,
        training.optimizer,
        training.lr_scheduler,
        training.accelerator,
    )
    return [step(next(it), *args, cfg.max_grad_norm) for _ in range(steps)]


def measure(cfg: Config, precision: str, steps: int) -> str:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    training = lora_training(cfg, precision, device)
    it = gen_train.endless_batches(training.train_loader)
    train_steps(training, cfg, 3, it)  # warm-up: cuDNN autotuning, allocator
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    losses = train_steps(training, cfg, steps, it)
    float(losses[-1])  # waits for the GPU
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    return (
        f"{precision:>4}  checkpointing={cfg.gradient_checkpointing!s:<5}  "
        f"batch={cfg.batch_size}  {cfg.resolution} px  {steps / seconds:6.2f} steps/s  "
        f"peak {peak:5.2f} GiB  last loss {float(losses[-1]):.3f}"
    )


def main() -> None:
    from wb_common.precision import mixed_precision

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the smoke pipeline (CPU check)")
    parser.add_argument("--precision", choices=["fp16", "bf16", "no"], default=None)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    tiny = args.tiny or not torch.cuda.is_available()
    precision = "no" if tiny else args.precision or mixed_precision()
    if torch.cuda.is_available():
        print(torch.cuda.get_device_name(), torch.cuda.get_device_capability())
    with tempfile.TemporaryDirectory(prefix="gen-bench-") as tmp:
        cfg = Config(dataset="synthetic", batch_size=args.batch_size, output_dir=Path(tmp))
        if tiny:
            cfg = dataclasses.replace(smoke_config(cfg), batch_size=max(args.batch_size, 2))
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
        for checkpointing in (False, True):
            setting = dataclasses.replace(cfg, gradient_checkpointing=checkpointing)
            print(measure(setting, precision, args.steps), flush=True)
            gc.collect()  # the previous setting's models go before the next one's peak
            if torch.cuda.is_available():
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
