"""QLoRA fine-tuning of Qwen3-4B on Korean instructions with TRL, recorded in W&B.

    uv run --package llm-train llm-train --smoke          # tiny Qwen3, bundled pairs, CPU, < 1 min
    uv run --package llm-train llm-train                  # Qwen3-4B, 1000 KoAlpaca pairs, Colab T4
    accelerate launch -m llm_train.cli                    # several GPUs (DDP, one 4-bit copy each)

We start the W&B run; TRL's SFTTrainer (`report_to="wandb"`) joins it and logs `train/loss` and
`eval/loss`; a callback here adds `eval/perplexity`. The other W&B calls a demo audience should
see are in this file too: the dataset preview and before/after `wandb.Table`s, the trainable
parameter count, and the adapter artifact linked into the Registry. The card is
`model.model_card`; plumbing (online/offline, queued links) is in wb_common.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import wandb
from accelerate import PartialState
from datasets import Dataset
from peft import PeftModel
from transformers import PreTrainedTokenizerBase, TrainerCallback, set_seed
from transformers.integrations import WandbCallback
from trl import SFTConfig, SFTTrainer
from wb_common import (
    ModelCard,
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
    start_run,
)
from wb_common.checkpoint import save_run_id
from wb_common.resume import log_again_what_was_lost

from llm_train.checkpoint import (
    StepWandbCallback,
    checkpoint_dir,
    last_checkpoint,
    logged_history,
    perplexity,
    run_to_resume,
)
from llm_train.config import TASK, Config, check_config
from llm_train.data import build_datasets, dataset_files
from llm_train.model import (
    WEIGHTS_FILE,
    build_model,
    build_tokenizer,
    compute_dtype,
    keep_adapters_in,
    model_card,
    precision_flags,
    quantization_of,
    trainable_parameters,
    training_tokenizer,
)

ADAPTER_DIR = "adapter"  # under output_dir: the final adapter and tokenizer, as uploaded


@dataclass
class TrainResult:
    metrics: dict[str, float]  # the final evaluation: {"eval/loss": ..., "eval/perplexity": ...}
    run_id: str
    run_dir: Path | None  # the local W&B run folder (None when W&B is disabled)
    adapter_dir: Path  # adapter_model.safetensors, adapter_config.json, tokenizer files
    card: ModelCard
    trainable_params: int


class PerplexityCallback(TrainerCallback):
    """Adds eval/perplexity = exp(eval/loss) to every evaluation the Trainer runs."""

    def __init__(self, run: wandb.Run):
        self.run = run

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics["eval_perplexity"] = perplexity(metrics["eval_loss"])
        # train/global_step: the x-axis of the Trainer's W&B logging; epoch: the reports' x-axis.
        # step=global_step: the same W&B row as the Trainer's eval/loss of this step.
        self.run.log(
            {
                "eval/perplexity": metrics["eval_perplexity"],
                "epoch": state.epoch,
                "train/global_step": state.global_step,
            },
            step=state.global_step,
        )


def checkpointing_flag(enabled: bool) -> dict[str, bool]:
    """Activation checkpointing under the name this transformers knows.

    transformers 5.2x calls it `activation_checkpointing` (`gradient_checkpointing` is a
    deprecated alias); Colab's transformers 5.15 knows only `gradient_checkpointing`.
    """
    names = {field.name for field in dataclasses.fields(SFTConfig)}
    name = (
        "activation_checkpointing"
        if "activation_checkpointing" in names
        else "gradient_checkpointing"
    )
    return {name: enabled}


def sft_config(cfg: Config, dtype: torch.dtype, *, resuming: bool) -> SFTConfig:
    """TRL's settings, all explicit: TRL's defaults (bf16=True, max_length=1024) do not fit here."""
    return SFTConfig(
        output_dir=str(checkpoint_dir(cfg.output_dir)),
        num_train_epochs=cfg.epochs,
        learning_rate=cfg.lr,
        lr_scheduler_type="cosine",
        warmup_steps=cfg.warmup_ratio,  # a float below 1 is a ratio of the total steps
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        max_length=cfg.max_seq_len,
        # Loss on the answer only: the {% generation %} markers of training_tokenizer's template
        assistant_only_loss=True,
        **checkpointing_flag(cfg.activation_checkpointing),
        **precision_flags(dtype),
        logging_steps=cfg.logging_steps,
        eval_strategy="steps",
        eval_steps=cfg.eval_steps,
        eval_on_start=not resuming,  # eval/perplexity of the untouched base model: the baseline
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=2,  # adapters are small, optimizer states are not: keep the last two
        report_to="wandb",  # joins the run we started (transformers 5 defaults to "none")
        seed=cfg.seed,
        dataloader_num_workers=0,  # tokenised text batches are cheap; workers only cost memory
    )


@torch.no_grad()
def generate_answers(
    model: PeftModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    max_new_tokens: int,
) -> list[str]:
    """Greedy answers to `prompts` in one left-padded batch, Qwen3's thinking turned off."""
    chats = [[{"role": "user", "content": prompt}] for prompt in prompts]
    texts = tokenizer.apply_chat_template(
        chats, tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    inputs = tokenizer(
        texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
    ).to(model.device)
    was_training = model.training
    model.eval()
    output = model.generate(
        **inputs,
        max_new_tokens=max_new_tokens,
        do_sample=False,  # greedy: before and after differ because of the adapter, not by chance
        temperature=None,
        top_p=None,
        top_k=None,
        use_cache=True,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.train(was_training)
    answers = output[:, inputs["input_ids"].shape[1] :]
    return [a.strip() for a in tokenizer.batch_decode(answers, skip_special_tokens=True)]


def comparison_table(model: PeftModel, tokenizer: PreTrainedTokenizerBase, cfg: Config):
    """The same prompts answered by the base model (adapter off) and the fine-tuned adapter."""
    prompts = list(cfg.sample_prompts)
    with (
        model.disable_adapter()
    ):  # the frozen base weights alone: exactly the model we started from
        before = generate_answers(model, tokenizer, prompts, cfg.max_new_tokens)
    after = generate_answers(model, tokenizer, prompts, cfg.max_new_tokens)
    table = wandb.Table(columns=["prompt", "before", "after"])
    for row in zip(prompts, before, after, strict=True):
        table.add_data(*row)
    return table


def sample_table(train_data: Dataset, n: int) -> wandb.Table:
    """Dataset preview: the first `n` training pairs as the model sees them (user, assistant)."""
    table = wandb.Table(columns=["instruction", "response"])
    for row in train_data.select(range(min(n, len(train_data)))):
        user, assistant = row["messages"]
        table.add_data(user["content"], assistant["content"])
    return table


def final_eval_metrics(trainer: SFTTrainer) -> dict[str, float]:
    """eval/loss and eval/perplexity at the last step (evaluating once more only if needed)."""
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    if evals and evals[-1].get("step") == trainer.state.global_step:
        loss = evals[-1]["eval_loss"]
    else:
        loss = trainer.evaluate()["eval_loss"]
    return {"eval/loss": loss, "eval/perplexity": perplexity(loss)}


def adapter_files(adapter_dir: Path) -> list[Path]:
    """What ships beside the weights: adapter_config.json and the tokenizer (chat template too)."""
    skip = {WEIGHTS_FILE, "README.md", "training_args.bin"}
    return sorted(p for p in adapter_dir.iterdir() if p.is_file() and p.name not in skip)


def model_facts(model: PeftModel, dtype: torch.dtype) -> dict[str, int | float | str]:
    """The run config's `model/*` keys: how many parameters train, and how the base is stored."""
    trainable, total = trainable_parameters(model)
    return {
        "model/trainable_params": trainable,
        "model/total_params": total,
        "model/trainable_percent": round(100 * trainable / total, 4),
        "model/quantization": quantization_of(model),
        "model/compute_dtype": str(dtype).removeprefix("torch."),
    }


def dataset_metadata(cfg: Config, train_data: Dataset, eval_data: Dataset) -> dict[str, Any]:
    """What the dataset artifact says about itself: where the pairs came from, how many."""
    return {
        "source": "bundled smoke pairs" if cfg.smoke else cfg.dataset,
        "train_size": len(train_data),
        "eval_size": len(eval_data),
        "seed": cfg.seed,
        "format": "JSON lines of instruction/output pairs",
    }


def save_adapter(trainer: SFTTrainer, tokenizer: PreTrainedTokenizerBase, cfg: Config) -> Path:
    """The adapter weights and config, and the tokenizer with Qwen3's inference template."""
    adapter_dir = cfg.output_dir / ADAPTER_DIR
    trainer.save_model(str(adapter_dir))  # adapter weights + config, and the trainer's tokenizer
    if trainer.is_world_process_zero():  # then Qwen3's inference template over the training one
        tokenizer.save_pretrained(str(adapter_dir))
    return adapter_dir


def train(cfg: Config) -> TrainResult:
    """Fine-tune, compare before/after, then version the adapter and link it to the Registry."""
    check_config(cfg)  # before any download: a bad flag costs nothing
    resume_from = last_checkpoint(cfg.output_dir) if cfg.resume else None
    dtype = compute_dtype()
    set_seed(cfg.seed)
    # Hub downloads come first: offline, they fail with one sentence before a W&B run exists.
    tokenizer = build_tokenizer(cfg)
    train_data, eval_data = build_datasets(cfg)
    model = build_model(cfg, dtype)

    # One W&B run, on the main process only; the others get a disabled run with the same methods.
    state = PartialState()
    run_id = run_to_resume(cfg.output_dir) if resume_from else None
    with start_run(
        TASK,
        cfg,
        tags=["smoke"] if cfg.smoke else [cfg.dataset_name],
        run_id=run_id,
        disabled=not state.is_main_process,
    ) as run:
        if state.is_main_process:
            save_run_id(cfg.output_dir, run.id)  # beside the Trainer's checkpoints, for --resume
        facts = model_facts(model, dtype)
        run.config.update(facts, allow_val_change=True)
        trainable, total = facts["model/trainable_params"], facts["model/total_params"]
        state.print(
            f"trainable parameters: {trainable:,} of {total:,} ({100 * trainable / total:.2f}%)"
        )

        # --resume: what a kill -9 lost is logged again (log_history's steps on leaving the block).
        history = logged_history(resume_from) if resume_from else {}
        with log_again_what_was_lost(run, history) as previous:
            if previous.missing_artifact(cfg.dataset_name):  # fresh run, or lost in the kill
                files = dataset_files(train_data, eval_data, cfg.output_dir / "data")
                metadata = dataset_metadata(cfg, train_data, eval_data)
                log_dataset_artifact(run, cfg.dataset_name, path=files, metadata=metadata)
            if previous.missing("dataset/samples"):
                samples = sample_table(train_data, cfg.sample_table_size)
                run.log({"dataset/samples": samples}, step=0)

        trainer = SFTTrainer(
            model=model,
            args=sft_config(cfg, dtype, resuming=resume_from is not None),  # report_to="wandb"
            train_dataset=train_data,
            eval_dataset=eval_data,
            processing_class=training_tokenizer(tokenizer),  # Qwen3's template + {% generation %}
            callbacks=[PerplexityCallback(run)],
        )
        # The Trainer's W&B logging, every row at step=global_step: resumed runs continue the axis.
        trainer.remove_callback(WandbCallback)
        trainer.add_callback(StepWandbCallback)
        if dtype == torch.float16:
            keep_adapters_in(model, torch.float32)
        trainer.train(resume_from_checkpoint=resume_from)
        metrics = final_eval_metrics(trainer)
        generations = comparison_table(model, tokenizer, cfg)
        run.log({"eval/generations": generations}, step=trainer.state.global_step)

        adapter_dir = save_adapter(trainer, tokenizer, cfg)
        run_path = "" if run.disabled else run.path
        quantization = facts["model/quantization"]
        card = model_card(cfg, quantization=quantization, metrics=metrics, run_path=run_path)
        if state.is_main_process:
            weights, extra = adapter_dir / WEIGHTS_FILE, adapter_files(adapter_dir)
            artifact = log_model_artifact(run, cfg.model_name, weights, card, extra_files=extra)
            link_to_registry(
                run, artifact, cfg.collection, aliases=["staging"], defer=cfg.sweep_trial
            )
        result = TrainResult(
            metrics=metrics,
            run_id=run.id,
            run_dir=None if run.disabled else Path(run.sync_dir),
            adapter_dir=adapter_dir,
            card=card,
            trainable_params=trainable,
        )
    return result
