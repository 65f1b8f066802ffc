"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package llm-train pytest packages/llm-train/tests/test_train.py
"""

from __future__ import annotations

import dataclasses
import math
import shutil

import pytest
import torch
from llm_train.checkpoint import OLD_RUN_ID_FILE, run_to_resume
from llm_train.config import Config, smoke_config
from llm_train.model import SMOKE_BASE_DIR, bitsandbytes_usable, load_adapter
from llm_train.train import train
from trl.chat_template_utils import qwen3_chat_template
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.checkpoint import save_run_id
from wb_common.pending import pending_actions

METRIC_KEYS = {"train/loss", "eval/loss", "eval/perplexity", "train/global_step", "epoch"}


def test_smoke_run_records_the_task_metrics(smoke_run):
    run = smoke_run.recorded
    assert run.history_keys >= METRIC_KEYS
    assert run.project == "wandb-e2e-demo-llm-finetuning"
    assert run.config["smoke"] is True and run.config["lora_r"] == 16
    assert run.exit_code == 0
    losses, perplexities = run.metric("eval/loss"), run.metric("eval/perplexity")
    assert len(losses) == len(perplexities) == 3  # before training, step 5, step 10
    for loss, perplexity in zip(losses, perplexities, strict=True):
        assert perplexity == pytest.approx(math.exp(loss), rel=1e-4)
    assert len(run.metric("train/loss")) == 5  # logging_steps=2 over 10 steps


def test_trainable_parameter_count_is_in_the_run(smoke_run):
    config = smoke_run.recorded.config
    trainable, total = config["model/trainable_params"], config["model/total_params"]
    assert trainable == smoke_run.result.trainable_params
    # r=16 adapters on 7 projections x 2 layers of the tiny model: A (r x in) + B (out x r).
    assert trainable == 2 * 16 * (
        64 + 64 + 64 + 32 + 64 + 32 + 64 + 64 + 64 + 128 + 64 + 128 + 128 + 64
    )
    assert 0 < trainable < total


def test_base_model_is_loaded_in_4bit_where_bitsandbytes_works(smoke_run):
    expected = "nf4-double-quant" if bitsandbytes_usable() else "none"
    assert smoke_run.recorded.config["model/quantization"] == expected
    assert smoke_run.recorded.config["model/compute_dtype"] == "float32"  # no GPU here


def test_smoke_fine_tuning_learns(smoke_run):
    """Held-out loss falls from the untouched base (eval on start) to the end of training."""
    losses = smoke_run.recorded.metric("eval/loss")
    assert losses[-1] < losses[0] - 0.05, losses
    train_losses = smoke_run.recorded.metric("train/loss")
    assert train_losses[-1] < train_losses[0]


def test_before_after_table(smoke_run):
    table = smoke_run.recorded.table("eval/generations")
    assert table["columns"] == ["prompt", "before", "after"]
    assert [row[0] for row in table["data"]] == list(smoke_run.cfg.sample_prompts)
    # The tiny random model's answers are gibberish either way; that the adapter changes the
    # model's output is checked on logits below (test_saved_adapter_reloads_...).
    assert all(isinstance(row[1], str) and isinstance(row[2], str) for row in table["data"])


def test_dataset_artifact_and_preview(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("ko-instructions-smoke", type="dataset")
    assert artifact.metadata["train_size"] == 34 and artifact.metadata["eval_size"] == 8
    assert len(artifact.read_text("train.jsonl").splitlines()) == 34
    assert len(artifact.read_text("eval.jsonl").splitlines()) == 8
    samples = run.table("dataset/samples")
    assert samples["columns"] == ["instruction", "response"]
    assert len(samples["data"]) == 20


def test_adapter_artifact_holds_weights_tokenizer_and_card(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("tiny-qwen3-lora-ko-instructions-smoke", type="model")
    expected = {"adapter_model.safetensors", "adapter_config.json", "model_card.json"}
    assert expected | {"tokenizer.json", "tokenizer_config.json"} <= set(artifact.files)
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert card.model_type == "llm-lora" and card.architecture == "qwen3"
    assert card.weights_file == "adapter_model.safetensors"
    assert card.class_names == [] and card.input_size == [] and card.normalization == {}
    assert card.extra["max_seq_len"] == 128
    assert card.extra["chat_template"] == "qwen3, thinking off"
    assert card.extra["sample_prompts"] == list(smoke_run.cfg.sample_prompts)
    assert card.metrics["eval/perplexity"] == round(run.metric("eval/perplexity")[-1], 4)
    assert card.run_path.endswith(run.run_id)
    assert card.dataset_artifact == "ko-instructions-smoke:latest"
    assert artifact.read_json("adapter_config.json")["r"] == 16
    # Qwen3's inference template ships, not the trainer's (training_tokenizer: {% generation %}).
    template = artifact.read_text("chat_template.jinja")
    assert template == qwen3_chat_template and "generation %}" not in template


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/qwen3-4b-ko-lora-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "tiny-qwen3-lora-ko-instructions-smoke"


def test_saved_adapter_reloads_and_changes_the_base_model(smoke_run, tmp_path):
    """The uploaded files alone put the adapter back on its base model, and it does something."""
    artifact = smoke_run.recorded.artifact("tiny-qwen3-lora-ko-instructions-smoke")
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        shutil.copy(artifact.files[name], tmp_path / name)
    base_dir = str(smoke_run.cfg.output_dir / SMOKE_BASE_DIR)
    model = load_adapter(tmp_path, base_dir, torch.float32).eval()
    input_ids = torch.tensor([[1, 50, 60, 70, 2]])
    with torch.no_grad():
        adapted = model(input_ids=input_ids).logits
        with model.disable_adapter():
            base = model(input_ids=input_ids).logits
    assert not torch.allclose(adapted, base, atol=1e-4)


def test_resume_continues_the_same_run(offline_hub, tmp_path):
    """A run stopped after epoch 1 (checkpoint-3) continues to epoch 2 under the same run id."""
    cfg = smoke_config(Config(output_dir=tmp_path / "out", max_train_samples=16, eval_samples=4))
    cfg = dataclasses.replace(cfg, epochs=1, save_steps=2, eval_steps=2, sample_prompts=("안녕?",))
    first = train(cfg)
    second = train(dataclasses.replace(cfg, epochs=2, resume=True))
    assert second.run_id == first.run_id
    before, after = (read_run(d) for d in find_run_dirs(offline_hub, first.run_id))
    assert before.metric("train/global_step")[-1] == 2
    steps = after.metric("train/global_step")
    assert min(steps) > 2 and max(steps) == 4  # continued at step 3, not from scratch
    assert after.run_id == before.run_id


def test_an_output_folder_of_the_older_version_resumes_its_own_run(tmp_path):
    """llm-train once noted the run id in wandb_run_id.txt; --resume still finds that run."""
    (tmp_path / OLD_RUN_ID_FILE).write_text("abc123\n", encoding="utf-8")
    assert run_to_resume(tmp_path) == "abc123"
    save_run_id(tmp_path, "def456")  # what this version writes, and reads first
    assert run_to_resume(tmp_path) == "def456"
    assert run_to_resume(tmp_path / "fresh") is None


class Crash(Exception):
    """Stands in for anything that ends training early: a bug, CUDA out of memory."""


def test_a_crash_inside_training_marks_the_run_failed(offline_hub, tmp_path, monkeypatch):
    """`with start_run(...)`: wandb's Run.__exit__ finishes a crashed run with exit code 1, so
    W&B shows it failed instead of leaving it running; what was logged before stays."""
    from trl import SFTTrainer

    def crash(self, *args, **kwargs):
        raise Crash("CUDA out of memory")

    monkeypatch.setattr(SFTTrainer, "train", crash)
    cfg = smoke_config(Config(output_dir=tmp_path / "out", max_train_samples=8, eval_samples=4))
    with pytest.raises(Crash):
        train(cfg)
    (run,) = (read_run(d) for d in find_run_dirs(offline_hub))
    assert run.exit_code == 1
    assert run.table("dataset/samples")["data"] and not run.metric("train/loss")
