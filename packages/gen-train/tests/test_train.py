"""What a smoke training run recorded in W&B, read back from the offline run.

uv run --package gen-train pytest packages/gen-train/tests/test_train.py
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from gen_train.config import TINY_MODEL, Config, smoke_config
from gen_train.model import WEIGHTS_FILE, build_tiny_pipeline
from gen_train.train import train
from PIL import Image
from safetensors.torch import load_file
from wb_common import ModelCard, find_run_dirs, read_run
from wb_common.pending import pending_actions


def generated_rows(run) -> list[dict]:
    return [row for row in run.history if row.get("generated._type") == "images/separated"]


def test_loss_is_recorded_every_step_against_train_step(smoke_run):
    run, cfg = smoke_run.recorded, smoke_run.cfg
    steps = [row["train/step"] for row in run.history if "train/loss" in row]
    assert steps == list(range(1, cfg.train_steps + 1))
    assert all(np.isfinite(run.metric("train/loss")))
    assert run.project == "wandb-e2e-demo-image-generation"
    assert run.config["smoke"] is True and run.config["lora_rank"] == 4
    assert run.exit_code == 0


def test_generated_images_at_the_configured_steps(smoke_run):
    run, cfg = smoke_run.recorded, smoke_run.cfg
    rows = generated_rows(run)
    assert [row["train/step"] for row in rows] == [0, 15, 30]
    for row in rows:
        assert row["generated.captions"] == cfg.eval_prompts
        images = [Image.open(run.file(name)) for name in row["generated.filenames"]]
        assert [im.size for im in images] == [(32, 32)] * len(cfg.eval_prompts)
    # Same prompts and seeds: the pictures change only because the LoRA weights did.
    first, last = (
        np.asarray(Image.open(run.file(r["generated.filenames"][0]))) for r in (rows[0], rows[-1])
    )
    assert not np.array_equal(first, last)


def test_smoke_training_learns(smoke_run):
    """val/loss uses fixed noise and timesteps: a drop is the weights, not the dice."""
    val_loss = smoke_run.recorded.metric("val/loss")
    assert len(val_loss) == 3
    assert val_loss[-1] < val_loss[0] - 0.02, val_loss


def test_final_table_has_every_prompt_with_its_seed(smoke_run):
    run, cfg = smoke_run.recorded, smoke_run.cfg
    table = run.table("eval/samples")
    assert table["columns"] == ["prompt", "image", "seed", "step"]
    assert [row[0] for row in table["data"]] == cfg.final_prompts
    assert [row[2] for row in table["data"]] == [cfg.sample_seed + i for i in range(4)]
    assert {row[3] for row in table["data"]} == {cfg.train_steps}
    assert all(row[1]["_type"] == "image-file" for row in table["data"])


def test_lora_artifact_holds_diffusers_weights_and_card(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("sd15-lora-synthetic-captions", type="model")
    assert set(artifact.files) == {WEIGHTS_FILE, "model_card.json"}
    card = ModelCard.from_dict(artifact.read_json("model_card.json"))
    assert card == ModelCard.from_dict(artifact.metadata)
    assert (card.model_type, card.architecture) == (
        "diffusion-lora",
        "stable-diffusion-1.5-unet-lora",
    )
    assert card.class_names == [] and card.input_size == [32, 32] and card.normalization == {}
    assert card.extra["base_model"] == TINY_MODEL and card.extra["lora_rank"] == 4
    assert card.extra["sample_prompts"] == smoke_run.cfg.final_prompts
    assert card.metrics["val/loss"] == round(run.metric("val/loss")[-1], 4)
    assert card.run_path.endswith(run.run_id)
    state = load_file(artifact.files[WEIGHTS_FILE])
    # diffusers' format: unet.<module>.lora.down/up.weight, rank 4, attention projections only.
    assert state and all(k.startswith("unet.") and ".lora." in k for k in state)
    assert {v.shape[0] for k, v in state.items() if k.endswith("lora.down.weight")} == {4}
    assert {k.split(".")[-4] for k in state} == {"to_q", "to_k", "to_v", "0"}  # to_out.0


def test_saved_lora_reloads_and_reproduces_the_final_images(smoke_run, tmp_path):
    """A fresh pipeline + the artifact's LoRA draws what the run drew, and not what base draws."""
    run, cfg = smoke_run.recorded, smoke_run.cfg
    artifact = run.artifact("sd15-lora-synthetic-captions", type="model")
    pipe = build_tiny_pipeline(tmp_path / "tokenizer")

    def draw() -> np.ndarray:
        generator = torch.Generator().manual_seed(cfg.sample_seed)
        image = pipe(cfg.final_prompts[0], height=32, width=32, generator=generator,
                     num_inference_steps=cfg.num_inference_steps).images[0]  # fmt: skip
        return np.asarray(image).astype(int)

    base = draw()
    pipe.load_lora_weights(load_file(artifact.files[WEIGHTS_FILE]))
    with_lora = draw()
    table = run.table("eval/samples")
    cell = table["data"][0][1]  # the image of the first final prompt, as W&B stored it
    recorded = np.asarray(Image.open(table["artifact"].files[cell["path"]])).astype(int)
    assert np.abs(with_lora - base).max() > 10  # the LoRA changes the picture
    assert np.abs(with_lora - recorded).max() <= 2  # and it is the picture the run logged


def test_dataset_artifact_and_preview_table(smoke_run):
    run = smoke_run.recorded
    artifact = run.artifact("synthetic-captions", type="dataset")
    assert artifact.metadata["train_size"] == 256 and artifact.metadata["val_size"] == 8
    (data_file,) = artifact.files.values()
    data = torch.load(data_file, weights_only=True)
    images, captions = data["train"]
    assert images.shape == (256, 3, 32, 32) and len(captions) == 256
    samples = run.table("dataset/samples")
    assert samples["columns"] == ["image", "caption"] and len(samples["data"]) == 8
    assert all(row[1].startswith("a ") for row in samples["data"])


def test_registry_link_is_queued_offline(smoke_run):
    (link,) = pending_actions(smoke_run.recorded.path)
    assert link["action"] == "link"
    assert link["target"] == "wandb-registry-model/sd15-naruto-lora-smoke"
    assert link["aliases"] == ["staging"]
    assert link["artifact"] == "sd15-lora-synthetic-captions"


def test_resume_continues_the_same_run(offline_wandb, tmp_path):
    """A run stopped after step 4 continues at step 5 under the same W&B run id."""
    cfg = dataclasses.replace(
        smoke_config(Config(output_dir=tmp_path / "out")),
        train_steps=4,
        sample_every=2,
        checkpoint_every=2,
        max_train_samples=32,
        final_prompts=["a red circle"],
    )
    first = train(cfg)
    second = train(dataclasses.replace(cfg, train_steps=6, resume=True))
    assert second.run_id == first.run_id
    before, after = (read_run(d) for d in find_run_dirs(offline_wandb, first.run_id))
    assert [r["train/step"] for r in generated_rows(before)] == [0, 2, 4]
    assert [r["train/step"] for r in after.history if "train/loss" in r] == [5, 6]
    assert [r["train/step"] for r in generated_rows(after)] == [6]


def short_config(tmp_path, **changes) -> Config:
    """A few smoke steps on 32 images with one final prompt: a second training in seconds."""
    cfg = smoke_config(Config(output_dir=tmp_path / "out"))
    changes = {"max_train_samples": 32, "final_prompts": ["a red circle"], **changes}
    return dataclasses.replace(cfg, **changes)


def test_sample_every_step_keeps_only_the_last_loss_for_the_card(offline_wandb, tmp_path, capsys):
    """sample_every=1: the card's train/loss is the mean of the last 1 loss, i.e. the last loss
    (the slice `[-(sample_every - 1):]` once kept every loss when sample_every was 1). A fresh
    run says nothing about resuming (it once claimed to log step 0's baseline "again")."""
    result = train(short_config(tmp_path, train_steps=3, sample_every=1))
    assert "logged again" not in capsys.readouterr().out
    (run,) = (read_run(d) for d in find_run_dirs(offline_wandb))
    losses = run.metric("train/loss")
    assert len(losses) == 3 and len(set(losses)) == 3
    assert result.metrics["train/loss"] == pytest.approx(losses[-1])
    assert result.card.metrics["train/loss"] == round(losses[-1], 4)
    assert [r["train/step"] for r in generated_rows(run)] == [0, 1, 2, 3]


class Crash(Exception):
    """Stands in for anything that ends training early: a bug, CUDA out of memory."""


def test_a_crash_inside_training_marks_the_run_failed(offline_wandb, tmp_path, monkeypatch):
    """`with start_run(...)`: wandb's Run.__exit__ finishes a crashed run with exit code 1, so
    W&B shows it failed instead of leaving it running; what was logged before stays."""
    import gen_train.train as train_module

    def crash(*args, **kwargs):
        raise Crash("CUDA out of memory")

    monkeypatch.setattr(train_module, "training_step", crash)
    with pytest.raises(Crash):
        train(short_config(tmp_path, train_steps=2))
    (run,) = (read_run(d) for d in find_run_dirs(offline_wandb))
    assert run.exit_code == 1
    assert run.metric("val/loss") and not run.metric("train/loss")  # the baseline, then the crash
