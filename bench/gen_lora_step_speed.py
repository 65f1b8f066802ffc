"""Training speed and peak memory of the SD 1.5 LoRA step: fp16 vs bf16, checkpointing on/off.

    uv run --all-packages python bench/gen_lora_step_speed.py          # GPU
    uv run --all-packages python bench/gen_lora_step_speed.py --tiny   # CPU

The UNet is built from SD 1.5's published config (stable-diffusion-v1-5 unet/config.json) with
random weights: speed and memory depend on the architecture, not on the values, and nothing is
downloaded. The step is gen_train's own `training_step` on random 512 px images and token ids:
the full path (VAE encode, CLIP text encoder, UNet forward and backward, AdamW on the LoRA),
with the VAE and text encoder from SD 1.5's configs too. Prints one line per setting.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import torch
from accelerate import Accelerator
from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.optimization import get_scheduler
from gen_train.model import add_lora, build_tiny_pipeline, optimizer_class, weight_dtype_for
from gen_train.train import training_step
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
    num_hidden_layers=12, max_position_embeddings=77, hidden_act="quick_gelu",
)  # fmt: skip


def sd15_pipeline(tiny: bool) -> StableDiffusionPipeline:
    tiny_pipe = build_tiny_pipeline(Path(tempfile.gettempdir()) / "gen-train-bench-tokenizer")
    if tiny:
        return tiny_pipe
    return StableDiffusionPipeline(
        vae=AutoencoderKL(**SD15_VAE),
        text_encoder=CLIPTextModel(CLIPTextConfig(**SD15_TEXT)),
        tokenizer=tiny_pipe.tokenizer,  # token ids only index the embedding; any ids < 49408 do
        unet=UNet2DConditionModel(**SD15_UNET),
        scheduler=tiny_pipe.scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def measure(precision: str, checkpointing: bool, tiny: bool, steps: int, batch_size: int) -> str:
    accelerator = Accelerator(mixed_precision=precision)
    pipe = sd15_pipeline(tiny)
    if precision != "no":
        pipe.to(weight_dtype_for(precision))  # frozen weights in half precision, as gen-train
    params = add_lora(pipe.unet, rank=4)
    if checkpointing:
        pipe.unet.enable_gradient_checkpointing()
    pipe.to(accelerator.device)
    optimizer = optimizer_class(False, cuda=False)(params, lr=1e-4)
    lr_scheduler = get_scheduler("constant", optimizer)
    unet, optimizer, lr_scheduler = accelerator.prepare(pipe.unet, optimizer, lr_scheduler)
    noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    resolution = 32 if tiny else 512
    device = accelerator.device
    batch = (
        torch.randint(
            0, 256, (batch_size, 3, resolution, resolution), dtype=torch.uint8, device=device
        ),
        torch.randint(0, len(pipe.tokenizer), (batch_size, 77), device=device),
    )

    def step() -> torch.Tensor:
        return training_step(
            batch, pipe, unet, noise_scheduler, optimizer, lr_scheduler, accelerator, 1.0
        )

    for _ in range(3):  # warm-up: cuDNN autotuning, allocator
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()  # waits for the GPU
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    return (
        f"{precision:>4}  checkpointing={checkpointing!s:<5}  batch={batch_size}  "
        f"{steps / seconds:6.2f} steps/s  peak {peak:5.2f} GiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the smoke pipeline (CPU check)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    if args.tiny or not torch.cuda.is_available():
        settings = [("no", False), ("no", True)]
    else:
        settings = [(p, c) for p in ("fp16", "bf16") for c in (False, True)]
        print(torch.cuda.get_device_name(), torch.cuda.get_device_capability())
    for precision, checkpointing in settings:
        print(measure(precision, checkpointing, args.tiny or not torch.cuda.is_available(),
                      args.steps, args.batch_size), flush=True)  # fmt: skip
        gc.collect()  # the previous setting's models go before the next one's peak is measured
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
