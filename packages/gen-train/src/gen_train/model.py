"""Stable Diffusion 1.5 (or the tiny --smoke twin) with LoRA on the UNet's attention projections.

The LoRA recipe is diffusers' own `examples/text_to_image/train_text_to_image_lora.py`: freeze the
VAE, text encoder and UNet in half precision, add a PEFT LoRA adapter to the UNet's
`to_q/to_k/to_v/to_out.0`, keep only those adapter weights in fp32, and train them alone.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    DDPMScheduler,
    PNDMScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from diffusers.training_utils import cast_training_params
from huggingface_hub import snapshot_download
from peft import LoraConfig
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
from wb_common import ModelCard
from wb_common.hub import hub_reachable  # HF_HUB_OFFLINE or no answer in 3 s: the cache only

# Re-exported: train.py and the notebook take the precision choice from this module.
from wb_common.precision import mixed_precision, torch_dtype  # noqa: F401
from wb_common.tasks import TASKS

from gen_train.config import TASK, TINY_MODEL, Config

ARCHITECTURE = "stable-diffusion-1.5-unet-lora"
WEIGHTS_FILE = "pytorch_lora_weights.safetensors"  # diffusers' name: load_lora_weights finds it
LORA_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]  # the attention projections, as in diffusers


class ModelDownloadError(RuntimeError):
    """The base model could not be loaded; the message says what to do instead."""


# ---- precision and optimiser: the choices that depend on the GPU at hand ------------------------


def optimizer_class(use_8bit_adam: bool, cuda: bool) -> type[torch.optim.Optimizer]:
    """bitsandbytes' AdamW8bit when asked for and a GPU is there; torch's AdamW otherwise."""
    if use_8bit_adam and cuda:
        import bitsandbytes as bnb

        return bnb.optim.AdamW8bit
    if use_8bit_adam:
        warnings.warn("8-bit Adam needs a CUDA GPU; using torch.optim.AdamW.", stacklevel=2)
    return torch.optim.AdamW


# ---- the model card: what the viewer needs to draw with this LoRA ------------------------------


def model_card(
    cfg: Config, *, metrics: dict[str, float] | None = None, run_path: str = ""
) -> ModelCard:
    """The LoRA's card, built from the config and the final metrics: train(), notebook 06 and
    the viewer's tests all build it here."""
    return ModelCard(
        model_type=TASKS[TASK].model_type,  # "diffusion-lora"
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        class_names=[],  # a generator has no classes
        input_size=[cfg.resolution, cfg.resolution],
        normalization={},  # the pipeline does its own [-1, 1] scaling
        metrics={k: round(v, 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        extra={
            "base_model": cfg.base_model,
            "lora_rank": cfg.lora_rank,
            "sample_prompts": list(cfg.final_prompts),
            "num_inference_steps": cfg.num_inference_steps,
            "guidance_scale": cfg.guidance_scale,
            "usage": "StableDiffusionPipeline.from_pretrained(base_model).load_lora_weights(dir)",
        },
    )


# ---- the pipeline --------------------------------------------------------------------------------


def build_pipeline(cfg: Config, dtype: torch.dtype = torch.float32) -> StableDiffusionPipeline:
    """The base pipeline (no LoRA yet): SD 1.5 from the Hub or cache, or the tiny smoke twin."""
    if cfg.base_model == TINY_MODEL:
        return build_tiny_pipeline(cfg.output_dir / "tiny-tokenizer")
    local = Path(cfg.base_model).is_dir()
    pipe = _from_hub(
        cfg.base_model,
        lambda offline: StableDiffusionPipeline.from_pretrained(
            cfg.base_model,
            dtype=dtype,
            # fp16 weights are half the download (2 GB instead of 4 GB); bf16 casts from them.
            variant="fp16" if dtype != torch.float32 and not local else None,
            safety_checker=None,  # not needed for a demo of a cartoon style, and 1.2 GB less
            requires_safety_checker=False,
            local_files_only=offline,
        ),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_tokenizer(cfg: Config) -> CLIPTokenizer:
    """The base model's CLIP tokenizer alone (a few MB), for tokenising captions before the
    pipeline is loaded; `build_pipeline(cfg).tokenizer` is the same tokenizer."""
    if cfg.base_model == TINY_MODEL:
        return _tiny_tokenizer(cfg.output_dir / "tiny-tokenizer")

    def load(offline: bool) -> CLIPTokenizer:
        # Fetch the files first: transformers 5 quietly builds an empty 2-token CLIPTokenizer
        # when they are missing, which would train on nothing but <|endoftext|>.
        folder = Path(cfg.base_model)
        if not folder.is_dir():
            folder = Path(
                snapshot_download(
                    cfg.base_model, allow_patterns=["tokenizer/*"], local_files_only=offline
                )
            )
        tokenizer = CLIPTokenizer.from_pretrained(folder / "tokenizer")
        if len(tokenizer) < 1000:
            raise OSError(f"no CLIP vocabulary in {folder / 'tokenizer'}")
        return tokenizer

    return _from_hub(cfg.base_model, load)


def _from_hub(model_id: str, load):
    """`load(offline)` with the Hub checked first: offline means the cache only, in seconds."""
    offline = not Path(model_id).is_dir() and not hub_reachable()
    try:
        return load(offline)
    except (OSError, ValueError) as err:  # not cached offline, no such repo, a broken download
        where = (
            "is not in the local Hugging Face cache and the Hub is not reachable"
            if offline
            else f"could not be loaded ({type(err).__name__})"
        )
        raise ModelDownloadError(
            f"베이스 모델을 불러올 수 없습니다 — {model_id} {where}: use --smoke for the built-in "
            "tiny pipeline, or run once with network to cache it."
        ) from None


def noise_scheduler_for(pipe: StableDiffusionPipeline) -> DDPMScheduler:
    """Training adds noise with DDPM on the pipeline's own beta schedule (diffusers' recipe)."""
    return DDPMScheduler.from_config(pipe.scheduler.config)


def add_lora(unet: UNet2DConditionModel, rank: int) -> list[torch.nn.Parameter]:
    """Freeze the UNet, add the LoRA adapter, and return its parameters (kept in fp32).

    lora_alpha = rank makes the adapter's scale 1, which is also what `load_lora_weights`
    assumes for a file without alphas; Gaussian init keeps the start equal to the base model.
    """
    unet.requires_grad_(False)
    unet.add_adapter(
        LoraConfig(
            r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=LORA_TARGETS
        )
    )
    # fp16 weights cannot be optimised stably: upcast only the trainable (LoRA) parameters.
    cast_training_params(unet, dtype=torch.float32)
    return [p for p in unet.parameters() if p.requires_grad]


# ---- the tiny twin for --smoke: same classes, configs small enough for a CPU ---------------------

SMOKE_WORDS = [
    "a", "red", "green", "blue", "yellow", "white", "black", "circle", "square", "triangle",
    "cross", "on", "the", "with", "naruto", "character", "village", "scene", "in", "anime",
    "style", "hair", "cat", "man", "girl",
]  # fmt: skip


def write_tiny_tokenizer(folder: Path) -> Path:
    """A CLIP BPE vocabulary (vocab.json, merges.txt) for the smoke captions, written to `folder`.

    Every byte-level character is in the vocabulary (any text encodes); each smoke word is also
    one token, built by left-to-right merges, so captions tokenise the way a real BPE would.
    """
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = sorted(set(bytes_to_unicode().values()))
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for token in chars + [c + "</w>" for c in chars]:
        vocab.setdefault(token, len(vocab))
    merges = []
    for word in SMOKE_WORDS:
        pieces = [*word[:-1], word[-1] + "</w>"]
        while len(pieces) > 1:
            merges.append(f"{pieces[0]} {pieces[1]}")
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
            vocab.setdefault(pieces[0], len(vocab))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    unique = list(dict.fromkeys(merges))
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "\n".join(unique) + "\n", encoding="utf-8"
    )
    return folder


def _tiny_tokenizer(folder: Path) -> CLIPTokenizer:
    return CLIPTokenizer.from_pretrained(write_tiny_tokenizer(folder), model_max_length=77)


def build_tiny_pipeline(tokenizer_dir: Path, seed: int = 0) -> StableDiffusionPipeline:
    """SD 1.5's classes at toy sizes (diffusers' own test configs), random weights.

    Seeded, so two calls build identical base weights: a reloaded LoRA can be compared exactly.
    Also sets torch to one CPU thread: this model's ops take microseconds, and with two threads
    each op waits on a hand-off, 4-8x slower on a busy 2-core machine (measured on CI's box).
    """
    torch.set_num_threads(1)
    tokenizer = _tiny_tokenizer(tokenizer_dir)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(
            sample_size=16,
            block_out_channels=(32, 64),
            layers_per_block=2,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32,
        )
        vae = AutoencoderKL(
            block_out_channels=[32, 64],
            in_channels=3,
            out_channels=3,
            down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
            up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
            latent_channels=4,
            sample_size=32,
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
                vocab_size=len(tokenizer),
                hidden_size=32,
                intermediate_size=37,
                num_attention_heads=4,
                num_hidden_layers=5,
                bos_token_id=tokenizer.bos_token_id,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
                max_position_embeddings=77,
            )
        )
    # SD 1.5's own scheduler config (scheduler/scheduler_config.json on the Hub).
    scheduler = PNDMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        skip_prk_steps=True,
        steps_offset=1,
        set_alpha_to_one=False,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe
