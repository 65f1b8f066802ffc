"""The LoRA set-up, the precision and optimiser choices, and the offline model load.

uv run --package gen-train pytest packages/gen-train/tests/test_model.py
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from gen_train.config import Config, smoke_config
from gen_train.model import (
    ModelDownloadError,
    add_lora,
    build_pipeline,
    build_tiny_pipeline,
    load_tokenizer,
    mixed_precision,
    optimizer_class,
    torch_dtype,
)
from wb_testing.fixtures import no_backoff


def test_8bit_adam_only_with_a_gpu():
    import bitsandbytes as bnb

    assert optimizer_class(use_8bit_adam=False, cuda=True) is torch.optim.AdamW
    assert optimizer_class(use_8bit_adam=True, cuda=True) is bnb.optim.AdamW8bit
    with pytest.warns(UserWarning, match="8-bit Adam needs a CUDA GPU"):
        assert optimizer_class(use_8bit_adam=True, cuda=False) is torch.optim.AdamW


def test_lora_trains_only_attention_adapters_in_fp32(tmp_path):
    unet = build_tiny_pipeline(tmp_path).unet.to(torch.float16)
    params = add_lora(unet, rank=4)
    trainable = {n for n, p in unet.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_A." in n or ".lora_B." in n for n in trainable)
    assert {n.split(".lora_")[0].split(".")[-1] for n in trainable} == {"to_q", "to_k", "to_v", "0"}
    assert all(p.dtype == torch.float32 for p in params)  # cast_training_params
    assert all(p.dtype == torch.float16 for p in unet.parameters() if not p.requires_grad)


def test_tiny_pipeline_is_the_same_every_time(tmp_path):
    a, b = build_tiny_pipeline(tmp_path / "a"), build_tiny_pipeline(tmp_path / "b")
    for (name, x), (_, y) in zip(
        a.unet.state_dict().items(), b.unet.state_dict().items(), strict=True
    ):
        assert torch.equal(x, y), name


def test_sd15_offline_names_the_way_out(offline_wandb, empty_hf_cache, monkeypatch):
    """SD 1.5 with an empty cache and no Hub: one sentence at once (no retry's backoff)."""
    cfg = dataclasses.replace(Config(), output_dir=offline_wandb.parent)
    no_backoff(monkeypatch)
    with pytest.raises(ModelDownloadError, match="not reachable: use --smoke"):
        build_pipeline(cfg, dtype=torch.float16)
    with pytest.raises(ModelDownloadError, match="not reachable: use --smoke"):
        load_tokenizer(cfg)


def test_tokenizer_alone_is_the_pipeline_tokenizer(tmp_path):
    cfg = smoke_config(Config(output_dir=tmp_path))
    caption = "a naruto character with blue hair"
    assert (
        load_tokenizer(cfg)(caption).input_ids == build_pipeline(cfg).tokenizer(caption).input_ids
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_one_mixed_precision_step_with_8bit_adam_on_the_gpu(tmp_path):
    """fp16/bf16 frozen weights, fp32 LoRA, AdamW8bit: the path a T4 or A100 takes."""
    from accelerate import Accelerator
    from diffusers.optimization import get_scheduler
    from gen_train.model import noise_scheduler_for
    from gen_train.train import training_step

    precision = mixed_precision()
    accelerator = Accelerator(mixed_precision=precision)
    pipe = build_tiny_pipeline(tmp_path).to(torch_dtype(precision))
    params = add_lora(pipe.unet, rank=4)
    pipe.unet.enable_gradient_checkpointing()
    pipe.to(accelerator.device)
    optimizer = optimizer_class(True, cuda=True)(params, lr=1e-3)
    scheduler = get_scheduler("constant", optimizer)
    unet, optimizer, scheduler = accelerator.prepare(pipe.unet, optimizer, scheduler)
    before = [p.detach().clone() for p in params]
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8, device=accelerator.device)
    ids = pipe.tokenizer(["a red circle"] * 2, padding="max_length", return_tensors="pt").input_ids
    loss = training_step(
        (images, ids.to(accelerator.device)), pipe, unet, noise_scheduler_for(pipe),
        optimizer, scheduler, accelerator, 1.0,
    )  # fmt: skip
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, params, strict=True))


def test_a_checkpointed_step_trains_the_lora(tmp_path):
    """Activation checkpointing (use_reentrant=False in diffusers) still reaches the adapters,
    whose inputs come from frozen layers; the frozen weights stay as they were."""
    from accelerate import Accelerator
    from diffusers.optimization import get_scheduler
    from gen_train.model import noise_scheduler_for
    from gen_train.train import training_step

    accelerator = Accelerator(mixed_precision="no")
    pipe = build_tiny_pipeline(tmp_path)
    params = add_lora(pipe.unet, rank=4)
    pipe.unet.enable_gradient_checkpointing()
    frozen = {n: p.detach().clone() for n, p in pipe.unet.named_parameters() if not p.requires_grad}
    lora_b = {n: p for n, p in pipe.unet.named_parameters() if ".lora_B." in n}
    before = {n: p.detach().clone() for n, p in lora_b.items()}
    optimizer = optimizer_class(False, cuda=False)(params, lr=1e-2)
    scheduler = get_scheduler("constant", optimizer)
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    ids = pipe.tokenizer(["a red circle"] * 2, padding="max_length", return_tensors="pt").input_ids
    training_step(
        (images, ids), pipe, pipe.unet, noise_scheduler_for(pipe), optimizer, scheduler,
        accelerator, 1.0,
    )  # fmt: skip
    # lora_B starts at zero (so the adapter starts as a no-op); each one must have moved.
    assert lora_b and all(not torch.equal(p, before[n]) for n, p in lora_b.items())
    assert all(torch.equal(p, frozen[n]) for n, p in pipe.unet.named_parameters() if n in frozen)
