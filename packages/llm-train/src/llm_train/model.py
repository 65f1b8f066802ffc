"""Qwen3 in 4-bit NF4 with LoRA adapters (QLoRA), its tokenizer, and the compute-dtype choice.

`--smoke` builds the same thing small: a 2-layer Qwen3 from a config and a byte-level BPE tokenizer
trained in memory on the bundled pairs, given Qwen3's own chat template. It is saved to a folder
and loaded back through `from_pretrained`, so the smoke run takes the real loading path, 4-bit
quantisation included (bitsandbytes quantises on the CPU too).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from wb_common import ModelCard
from wb_common.hub import hub_reachable  # HF_HUB_OFFLINE or no answer in 3 s: the cache only
from wb_common.precision import mixed_precision, torch_dtype
from wb_common.tasks import TASKS

from llm_train.config import TASK, Config
from llm_train.data import SMOKE_FILE, read_pairs

ARCHITECTURE = "qwen3"
WEIGHTS_FILE = "adapter_model.safetensors"  # PEFT's name: PeftModel.from_pretrained finds it
CHAT_TEMPLATE = "qwen3, thinking off"  # what the viewer renders prompts with (the card says it)
NF4 = "nf4-double-quant"  # the card's and the run config's name for quantization_config()
SMOKE_BASE_DIR = "smoke-base"  # under output_dir: the tiny base model the smoke adapter belongs to
# Qwen3's chat template with {% generation %} markers, from TRL 1.16 (see the file's header).
TRAINING_CHAT_TEMPLATE = Path(__file__).with_name("qwen3_training.jinja")


class ModelDownloadError(RuntimeError):
    """The base model could not be fetched; the message says what to do instead."""


def compute_dtype() -> torch.dtype:
    """The dtype for the model's matmuls and bitsandbytes' 4-bit compute on this machine.

    The same rule as every task (wb_common.precision): bf16 from 8.0, fp16 on a T4, fp32 on CPU.
    """
    return torch_dtype(mixed_precision())


def precision_flags(dtype: torch.dtype) -> dict[str, bool]:
    """SFTConfig's bf16/fp16 for a compute dtype; both explicit: TRL's bf16=True fails on a CPU."""
    return {"bf16": dtype == torch.bfloat16, "fp16": dtype == torch.float16}


@functools.cache
def bitsandbytes_usable() -> bool:
    """bitsandbytes imports and quantises here (it can fail on an unusual CUDA or CPU setup)."""
    try:
        import bitsandbytes.functional as bnbf

        bnbf.quantize_4bit(torch.ones(64, device="cuda" if torch.cuda.is_available() else "cpu"))
        return True
    except Exception as err:
        print(
            f"[llm-train] bitsandbytes unusable here ({type(err).__name__}): loading unquantised."
        )
        return False


def quantization_config(dtype: torch.dtype) -> BitsAndBytesConfig:
    """QLoRA's 4-bit loading: NF4 with double quantisation, computing in `dtype`.

    Notebook 05 writes this same call in its cell; test_model checks the two stay equal.
    """
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",  # NF4: the 4-bit grid fitted to normally distributed weights
        bnb_4bit_use_double_quant=True,  # quantise the quant. constants: ~0.4 bit/param
        bnb_4bit_compute_dtype=dtype,
    )


def lora_config(cfg: Config) -> LoraConfig:
    """LoRA on every projection of every layer (QLoRA paper, https://arxiv.org/abs/2305.14314)."""
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.lora_target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def _hub_error(what: str, err: Exception) -> ModelDownloadError:
    return ModelDownloadError(
        f"베이스 모델을 불러올 수 없습니다 — {what} could not be loaded from the Hugging Face "
        "Hub or its local cache "
        f"({type(err).__name__}): use --smoke for the tiny stand-in, or check the network."
    )


def base_model_path(cfg: Config) -> str:
    """Where the base model loads from: a Hub id, or (smoke) the tiny model's folder."""
    return str(cfg.output_dir / SMOKE_BASE_DIR) if cfg.smoke else cfg.base_model


def build_tokenizer(cfg: Config) -> PreTrainedTokenizerBase:
    """Qwen3's tokenizer and chat template (smoke: the in-memory stand-in, saved for reloading)."""
    if cfg.smoke:
        path = cfg.output_dir / SMOKE_BASE_DIR
        if not (path / "tokenizer.json").is_file():
            smoke_tokenizer().save_pretrained(path)
        return AutoTokenizer.from_pretrained(path)
    try:
        return AutoTokenizer.from_pretrained(cfg.base_model, local_files_only=not hub_reachable())
    except (OSError, ValueError) as err:  # not cached while offline, a wrong id
        raise _hub_error(cfg.base_model, err) from None


def training_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """A copy of Qwen3's tokenizer whose chat template marks the assistant turn for the loss.

    SFTTrainer's `assistant_only_loss=True` trains on the tokens between `{% generation %}` and
    `{% endgeneration %}`: here the empty think block, the answer and `<|im_end|>`. TRL 1.x swaps a
    template in itself; TRL 0.29 (the newest that installs on Colab as it is) does not, so the
    trainer gets this copy, with TRL 1.16's qwen3_training.jinja. We chose this over TRL's
    prompt-completion format: that gives the same mask, but changes the dataset rows (`messages`)
    that the dataset artifact, the preview Table and notebook 05 show.
    It is a copy so that `tokenizer` keeps Qwen3's inference template, the one the adapter ships:
    the training variant renders earlier turns of a conversation differently.
    """
    from trl.chat_template_utils import qwen3_chat_template

    if tokenizer.chat_template != qwen3_chat_template:
        raise ValueError(
            "베이스 모델의 채팅 템플릿이 Qwen3의 것이 아닙니다 — "
            "The base model's chat template is not Qwen3's: llm-train's assistant-only loss "
            "uses Qwen3's training template. Use a Qwen3 base model (like Qwen/Qwen3-4B)."
        )
    trainer_tokenizer = copy.deepcopy(tokenizer)
    trainer_tokenizer.chat_template = TRAINING_CHAT_TEMPLATE.read_text(encoding="utf-8")
    return trainer_tokenizer


@dataclass
class _LoadedBase:
    """The base model a sweep's trials share, the adapter model on it now, and how it was loaded."""

    base: PreTrainedModel
    pristine: dict[str, tuple[torch.dtype, bool]]  # per parameter: dtype and requires_grad
    peft: PeftModel | None = None


# The last base model build_model loaded, by what makes it that model: a sweep trial differs from
# the one before only in LoRA and training settings, and loading Qwen3-4B in 4 bit is 1-2 minutes
# of a T4 slot. One entry only: another base frees this one (a T4 holds one 4B model).
_BASES: dict[tuple, _LoadedBase] = {}


def _base_key(cfg: Config, dtype: torch.dtype) -> tuple:
    quantized = cfg.load_in_4bit and bitsandbytes_usable()
    device = torch.cuda.current_device() if torch.cuda.is_available() else "cpu"
    return (base_model_path(cfg), quantized, str(dtype), device)


def _strip_adapter(loaded: _LoadedBase) -> PreTrainedModel:
    """The shared base as it was loaded: the last trial's LoRA layers removed (not merged), and
    what the trainer changed on the base put back (TRL's input-grad hook, dtype and frozen flags
    of the unquantised parameters, which `prepare_model_for_kbit_training` may cast)."""
    base = loaded.peft.unload() if loaded.peft is not None else loaded.base
    loaded.peft = None
    if getattr(base, "_require_grads_hooks", None) or hasattr(base, "_require_grads_hook"):
        base.disable_input_require_grads()
    for name, param in base.named_parameters():
        dtype, requires_grad = loaded.pristine[name]
        if param.dtype != dtype and param.is_floating_point():
            param.data = param.data.to(dtype)
        param.requires_grad_(requires_grad)
    return base


def release_base_models() -> None:
    """Forget the shared base model (tests, or to free the GPU for another task)."""
    _BASES.clear()


def build_model(cfg: Config, dtype: torch.dtype | None = None) -> PeftModel:
    """The base model (4-bit NF4 when possible) with fresh LoRA adapters; only they train.

    The base loads once per (model, quantization, dtype, device): the next call with the same
    key - a sweep's next trial - gets the same base back with the last adapter unloaded and a
    freshly initialised one on it (lora_B zero: the model starts as the base model).
    """
    dtype = dtype or compute_dtype()
    key = _base_key(cfg, dtype)
    loaded = _BASES.get(key)
    if loaded is None:
        _BASES.clear()  # before loading: never two base models in memory at once
        base = load_base_model(cfg, dtype)
        pristine = {n: (p.dtype, p.requires_grad) for n, p in base.named_parameters()}
        loaded = _BASES[key] = _LoadedBase(base, pristine)
    else:
        base = _strip_adapter(loaded)
    loaded.peft = get_peft_model(base, lora_config(cfg))
    return loaded.peft


def load_base_model(
    cfg: Config, dtype: torch.dtype, quantization: BitsAndBytesConfig | None = None
) -> PreTrainedModel:
    """Qwen3 through `from_pretrained`: NF4 with double quantisation, SDPA attention.

    `quantization` defaults to `quantization_config(dtype)`; notebook 05 passes the equal one
    written in its cell. Either is dropped where bitsandbytes cannot quantise (then unquantised).
    """
    if cfg.smoke:
        save_smoke_base(cfg)
    kwargs = {"dtype": dtype, "attn_implementation": "sdpa"}
    if cfg.load_in_4bit and bitsandbytes_usable():
        kwargs["quantization_config"] = quantization or quantization_config(dtype)
    if torch.cuda.is_available():
        from accelerate import PartialState

        # One full copy per GPU under `accelerate launch` (DDP); "auto" would split layers instead.
        kwargs["device_map"] = {"": PartialState().local_process_index}
    if not cfg.smoke:
        offline = not hub_reachable()
        kwargs["local_files_only"] = offline
        # transformers 5.24 looks for adapter_config.json without local_files_only (auto_factory):
        # pass it there too, or an offline load retries the Hub for ~25 s.
        kwargs["adapter_kwargs"] = {"local_files_only": offline}
    try:
        return AutoModelForCausalLM.from_pretrained(base_model_path(cfg), **kwargs)
    except OSError as err:  # not cached while offline, a wrong id
        raise _hub_error(cfg.base_model, err) from None


def save_smoke_base(cfg: Config) -> None:
    """Write the tiny Qwen3 and its tokenizer once, so they load like a downloaded model."""
    path = cfg.output_dir / SMOKE_BASE_DIR
    if not (path / "config.json").is_file():
        smoke_base_model(build_tokenizer(cfg)).save_pretrained(path)


def quantization_of(model: torch.nn.Module) -> str:
    """How the base weights are stored: NF4 (a PeftModel forwards the attribute to its base),
    or "none" where bitsandbytes could not quantise."""
    return NF4 if getattr(model, "is_loaded_in_4bit", False) else "none"


def model_card(
    cfg: Config,
    *,
    quantization: str = NF4,
    metrics: dict[str, float] | None = None,
    run_path: str = "",
) -> ModelCard:
    """The adapter's card, from the config, how the base was loaded (`quantization_of(model)`)
    and the final metrics: train(), notebook 05 and the viewer's tests all build it here."""
    return ModelCard(
        model_type=TASKS[TASK].model_type,  # "llm-lora"
        architecture=ARCHITECTURE,
        weights_file=WEIGHTS_FILE,
        metrics={k: round(v, 4) for k, v in (metrics or {}).items()},
        run_path=run_path,
        dataset_artifact=f"{cfg.dataset_name}:latest",
        extra={
            "base_model": cfg.base_model,
            "max_seq_len": cfg.max_seq_len,
            "chat_template": CHAT_TEMPLATE,
            "sample_prompts": list(cfg.sample_prompts),
            "quantization": quantization,
            "lora_r": cfg.lora_r,
            "lora_alpha": cfg.lora_alpha,
            "target_modules": list(cfg.lora_target_modules),
        },
    )


def keep_adapters_in(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Cast the trainable (LoRA) parameters to `dtype`.

    TRL stores QLoRA adapters in bf16. With fp16 compute (a T4) the grad scaler wants fp32 master
    weights and bf16 is only emulated, so there the adapters go back to fp32.
    """
    for param in model.parameters():
        if param.requires_grad:
            param.data = param.data.to(dtype)


def trainable_parameters(model: PeftModel) -> tuple[int, int]:
    """(trainable, total) parameter counts; 4-bit weights are counted unpacked, like PEFT does."""
    return model.get_nb_trainable_parameters()


def smoke_tokenizer(vocab_size: int = 800) -> PreTrainedTokenizerBase:
    """A byte-level BPE tokenizer trained in memory on the bundled pairs, with Qwen3's template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen3_chat_template

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    texts = [f"{p['instruction']}\n{p['output']}" for p in read_pairs(SMOKE_FILE)]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # any text encodes, even unseen
    )
    bpe.train_from_iterator([*texts, "user\nassistant\n"], trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",  # as in Qwen3-4B: generation stops at the end of the turn
        pad_token="<|endoftext|>",
        chat_template=qwen3_chat_template,  # Qwen3's own template, as TRL ships it
        model_max_length=512,
    )


def smoke_base_model(tokenizer: PreTrainedTokenizerBase, seed: int = 0) -> PreTrainedModel:
    """A 2-layer Qwen3 (hidden 64) with random weights: Qwen3-4B's architecture, 4000x smaller."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    return Qwen3ForCausalLM(config)


def load_adapter(adapter_dir: str | Path, base_model: str, dtype: torch.dtype) -> PeftModel:
    """A saved adapter on its (unquantised) base model: how a viewer or notebook serves it."""
    base = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype)
    return PeftModel.from_pretrained(base, str(adapter_dir))
