"""The compute-dtype choice, the chat template's loss mask, and offline loading of Qwen3-4B.

uv run --package llm-train pytest packages/llm-train/tests/test_model.py
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from llm_train.config import Config, smoke_config
from llm_train.model import (
    TRAINING_CHAT_TEMPLATE,
    ModelDownloadError,
    bitsandbytes_usable,
    build_model,
    build_tokenizer,
    compute_dtype,
    load_base_model,
    lora_config,
    precision_flags,
    quantization_config,
    smoke_base_model,
    smoke_tokenizer,
    training_tokenizer,
)
from llm_train.train import sft_config
from trl import SFTTrainer
from trl.chat_template_utils import qwen3_chat_template
from wb_testing.fixtures import no_backoff

CHAT = [{"role": "user", "content": "질문"}, {"role": "assistant", "content": "대답입니다."}]


@pytest.mark.parametrize(
    ("dtype", "flags"),
    [
        (torch.float32, {"bf16": False, "fp16": False}),  # CPU
        (torch.float16, {"bf16": False, "fp16": True}),  # Colab T4
        (torch.bfloat16, {"bf16": True, "fp16": False}),  # A100, H100
    ],
)
def test_sft_precision_flags_follow_the_compute_dtype(dtype, flags):
    assert precision_flags(dtype) == flags


def test_chat_template_is_qwen3_with_thinking_off():
    tokenizer = smoke_tokenizer()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "안녕?"}],
        tokenize=False,
        add_generation_prompt=True,
        enable_thinking=False,
    )
    assert (
        prompt
        == "<|im_start|>user\n안녕?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )


def test_loss_mask_covers_the_assistant_turn_only(tmp_path):
    """What SFTTrainer trains on, read from its collated labels: the answer and its end of turn.

    The trainer gets training_tokenizer's template (TRL 1.16's qwen3_training.jinja) and the run's
    own SFTConfig. TRL 0.29's Qwen3 training template has no {% generation %} markers: with it,
    SFTTrainer refuses the dataset.
    """
    tokenizer = smoke_tokenizer()
    cfg = smoke_config(Config(output_dir=tmp_path))
    data = Dataset.from_list([{"messages": CHAT}])
    trainer = SFTTrainer(
        model=smoke_base_model(tokenizer),
        args=sft_config(cfg, torch.float32, resuming=False),
        train_dataset=data,
        eval_dataset=data,
        processing_class=training_tokenizer(tokenizer),
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    trained = tokenizer.decode([i for i, label in zip(ids, labels, strict=True) if label != -100])
    ignored = tokenizer.decode([i for i, label in zip(ids, labels, strict=True) if label == -100])
    assert trained == "<think>\n\n</think>\n\n대답입니다.<|im_end|>\n"
    assert ignored == "<|im_start|>user\n질문<|im_end|>\n<|im_start|>assistant\n"


def test_training_template_renders_what_the_model_sees_at_inference():
    """Trained text = Qwen3's own rendering; the tokenizer that ships keeps Qwen3's template."""
    tokenizer = smoke_tokenizer()
    trainer_tokenizer = training_tokenizer(tokenizer)
    assert tokenizer.chat_template == qwen3_chat_template  # the copy changed, not the original
    assert "{%- generation %}" in trainer_tokenizer.chat_template
    assert "generation %}" not in tokenizer.chat_template
    assert "Apache License" in TRAINING_CHAT_TEMPLATE.read_text(encoding="utf-8")
    both = (trainer_tokenizer, tokenizer)
    for kwargs in ({}, {"enable_thinking": False}):
        training, inference = (t.apply_chat_template(CHAT, tokenize=False, **kwargs) for t in both)
        assert training == inference
    generation = {"tokenize": False, "add_generation_prompt": True, "enable_thinking": False}
    training, inference = (t.apply_chat_template(CHAT[:1], **generation) for t in both)
    assert training == inference


def test_training_template_needs_qwen3s_chat_template():
    tokenizer = smoke_tokenizer()
    tokenizer.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    with pytest.raises(ValueError, match="not Qwen3's"):
        training_tokenizer(tokenizer)


@pytest.mark.parametrize("hf_hub_offline", ["1", None], ids=["HF_HUB_OFFLINE", "network-cut"])
def test_real_model_offline_fails_fast_naming_smoke(offline_hub, monkeypatch, hf_hub_offline):
    """Qwen/Qwen3-4B with an empty cache, offline by flag or by a dead network: one sentence.

    Without the reachability probe, huggingface_hub's retries took 47 s here to fail: the test
    fails if anything sleeps a retry's backoff.
    """
    if hf_hub_offline is None:
        monkeypatch.delenv("HF_HUB_OFFLINE")  # only the unreachable proxy stands in the way
    no_backoff(monkeypatch)
    with pytest.raises(ModelDownloadError, match=r"Qwen/Qwen3-4B could not be loaded.*--smoke"):
        build_tokenizer(Config())
    with pytest.raises(ModelDownloadError, match="--smoke"):
        load_base_model(Config(), torch.float32)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_4bit_model_computes_in_the_gpu_dtype(tmp_path):
    """On a GPU: NF4 weights on the device, compute dtype by capability, one backward pass."""
    cfg = smoke_config(Config(output_dir=tmp_path))
    dtype = compute_dtype()
    model = build_model(cfg, dtype)
    layer = model.base_model.model.model.layers[0].self_attn.q_proj.base_layer
    assert type(layer).__name__ == "Linear4bit" and layer.compute_dtype == dtype
    assert layer.weight.device.type == "cuda"
    ids = torch.tensor([[1, 50, 60, 2]], device="cuda")
    model(input_ids=ids, labels=ids).loss.backward()


NOTEBOOK_05 = Path(__file__).resolve().parents[3] / "notebooks" / "05_llm_finetuning.ipynb"


def _notebook_cell(marker: str) -> str:
    """The one code cell of notebook 05 that writes `marker`."""
    import nbformat

    notebook = nbformat.read(NOTEBOOK_05, as_version=4)
    (source,) = [c.source for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    return source


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_notebook_writes_the_quantization_and_lora_calls_the_package_makes(dtype, monkeypatch):
    """Notebook 05's BitsAndBytesConfig(...) and LoraConfig(...) cell, run as written, builds the
    same settings as quantization_config() and lora_config(), which load_base_model and
    build_model use."""
    import llm_train.model as model_module

    monkeypatch.setattr(model_module, "compute_dtype", lambda: dtype)
    source = _notebook_cell("BitsAndBytesConfig(")
    assert "LoraConfig(" in source
    cfg = Config()
    namespace = {"cfg": cfg}
    exec(compile(source, str(NOTEBOOK_05), "exec"), namespace)
    assert namespace["dtype"] is dtype
    assert namespace["bnb_config"].to_dict() == quantization_config(dtype).to_dict()
    assert namespace["bnb_config"].bnb_4bit_quant_type == "nf4"
    assert namespace["peft_config"].to_dict() == lora_config(cfg).to_dict()
    # The loading cell hands that object to from_pretrained.
    assert "load_base_model(cfg, dtype, quantization=bnb_config)" in _notebook_cell(
        "get_peft_model("
    )


def test_load_base_model_uses_the_quantization_it_is_given(tmp_path, monkeypatch):
    """The notebook's own BitsAndBytesConfig reaches from_pretrained (where bitsandbytes works)."""
    import llm_train.model as model_module

    seen = {}
    real = model_module.AutoModelForCausalLM.from_pretrained

    def spy(path, **kwargs):
        seen.update(kwargs)
        return real(path, **kwargs)

    monkeypatch.setattr(model_module.AutoModelForCausalLM, "from_pretrained", spy)
    cfg = smoke_config(Config(output_dir=tmp_path))
    given = quantization_config(torch.float32)
    load_base_model(cfg, torch.float32, quantization=given)
    if bitsandbytes_usable():
        assert seen["quantization_config"] is given
    else:
        assert "quantization_config" not in seen


def test_notebook_writes_the_sft_config_the_package_makes(tmp_path):
    """Notebook 05's SFTConfig(..., report_to="wandb") cell, run as written, equals sft_config()."""
    source = _notebook_cell("SFTConfig(")
    assert 'report_to="wandb"' in source
    cfg = smoke_config(Config(output_dir=tmp_path))
    namespace = {"cfg": cfg, "dtype": torch.float32}
    exec(compile(source, str(NOTEBOOK_05), "exec"), namespace)
    assert namespace["args"].to_dict() == sft_config(cfg, torch.float32, resuming=False).to_dict()
    assert namespace["args"].report_to == ["wandb"]


def _lora_weights(model, part: str) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if f"{part}." in n}


def test_sweep_trials_share_the_base_and_start_from_a_fresh_adapter(tmp_path, monkeypatch):
    """A second build_model (the next trial) loads no base again, and its adapter is new: lora_B
    zero, nothing of the first trial's trained weights, the base as loaded (one LoRA per layer)."""
    import llm_train.model as model_module

    loads = []
    real = model_module.AutoModelForCausalLM.from_pretrained

    def counting(path, **kwargs):
        loads.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(model_module.AutoModelForCausalLM, "from_pretrained", counting)
    model_module.release_base_models()
    cfg = smoke_config(Config(output_dir=tmp_path))
    ids = torch.tensor([[1, 50, 60, 70, 2]])

    first = build_model(cfg, torch.float32)
    with first.disable_adapter(), torch.no_grad():
        base_logits = first(input_ids=ids).logits
    # Train the first trial's adapter a few steps, and change the base the way TRL does.
    first.enable_input_require_grads()
    optimizer = torch.optim.AdamW([p for p in first.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        first(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    trained_b = _lora_weights(first, "lora_B")
    assert any(w.abs().sum() > 0 for w in trained_b.values())
    for param in first.parameters():
        if param.requires_grad:
            param.data = param.data.to(torch.bfloat16)  # TRL's QLoRA cast
    norm = first.get_base_model().model.norm.weight
    norm.data = norm.data.to(torch.float64)  # prepare_model_for_kbit_training casts norms up

    second = build_model(dataclasses.replace(cfg, lora_r=4), torch.float32)
    assert len(loads) == 1  # the base loaded once, for both trials
    assert second.get_base_model() is first.get_base_model()
    fresh_b = _lora_weights(second, "lora_B")
    assert fresh_b.keys() == trained_b.keys()  # one LoRA per projection, none left over
    assert all(w.abs().sum() == 0 for w in fresh_b.values())
    assert all(w.shape[1] == 4 for w in fresh_b.values())  # the second trial's own rank
    assert not hasattr(second.get_base_model(), "_require_grads_hook")
    with torch.no_grad():  # lora_B = 0: the fresh model is exactly the base as loaded
        assert torch.equal(second(input_ids=ids).logits, base_logits)
    trainable = {n for n, p in second.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)

    assert second.get_base_model().model.norm.weight.dtype == torch.float32
    model_module.release_base_models()
    build_model(cfg, torch.float32)
    assert len(loads) == 2


# Qwen3-4B's config.json (the published values the size table is computed from).
QWEN3_4B = {
    "hidden_size": 2560, "intermediate_size": 9728, "num_hidden_layers": 36,
    "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
    "vocab_size": 151936, "tie_word_embeddings": True,
}  # fmt: skip


def test_notebook_states_the_real_adapter_size():
    """Notebook 05's first cell gives the adapter PEFT builds on Qwen3-4B with the default
    LoRA settings: its parameter count, and its file size in fp32 (T4) and bf16."""
    import nbformat
    from peft import get_peft_model
    from transformers import Qwen3Config, Qwen3ForCausalLM

    with torch.device("meta"):  # the architecture without 8 GB of weights
        qwen3_4b = Qwen3ForCausalLM(Qwen3Config(**QWEN3_4B))
    trainable, _ = get_peft_model(qwen3_4b, lora_config(Config())).get_nb_trainable_parameters()
    first_cell = nbformat.read(NOTEBOOK_05, as_version=4).cells[0].source
    assert f"**{trainable:,}개 파라미터**" in first_cell, trainable
    assert f"**{round(trainable * 4 / 1e6)}MB**(fp16" in first_cell  # fp32 on a T4
    assert f"**{round(trainable * 2 / 1e6)}MB**(bf16)" in first_cell
    assert "어댑터 수십 MB" not in first_cell
