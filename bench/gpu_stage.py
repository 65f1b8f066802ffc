"""The GPU stage check: all six tasks' full-size models train a few steps, twice, in one command.

    uv run --all-packages python bench/gpu_stage.py                # one GPU, < 10 min, offline
    uv run --all-packages python bench/gpu_stage.py --tiny         # CPU, tiny configs: the test
    uv run --all-packages python bench/gpu_stage.py --tasks llm    # a subset

For each task the full-size model is built from its configuration with random weights (nothing is
downloaded): ResNet-18, DeepLabV3-MobileNetV3-Large, YOLOv8n (yolov8n.yaml), R3D-18, a decoder of
Qwen3-4B's shape loaded in 4-bit NF4 with llm-train's LoRA and SFT settings, and SD 1.5's UNet, VAE
and CLIP text encoder with gen-train's LoRA. Each trains with its package's own code and settings
(cls/seg/video `build_model`, `build_optimizer`, `build_scheduler` and `train_one_epoch`; det
Ultralytics' trainer with det-train's `ultralytics_args`; llm `build_model` and TRL's SFTTrainer
with `sft_config`; gen `build_training` and `training_step`, as bench/gen_lora_step_speed.py runs
them) on synthetic or random data of the real shapes, and reports steps/s (+ images/s, clips/s or
tokens/s), peak GPU memory and whether the loss stayed finite.

Two passes; accelerate fixes the precision once per process, so each precision gets its own:
- `device`: the precision rule of wb_common.precision for this GPU (bf16 from compute capability
  8.0, fp16 + GradScaler below); Ultralytics trains fp16 (det-train's `amp=True`) on every GPU.
- `t4`: the path a Colab T4 (7.5) takes, forced: fp16 + GradScaler, no bf16, no TF32, and scaled
  dot-product attention limited to the memory-efficient and math kernels (a T4 has no flash
  attention). "Fits a 16 GB T4" is judged from this pass's peak reserved memory plus 0.5 GiB of
  CUDA context against the 15 GiB a T4 offers. Its speed is this GPU's, not a T4's.
cls also measures its input pipeline in the same run: uint8 batches augmented on the device
(cls_train.data.prepare_batch) against the per-image PIL DataLoader of bench/cls_input_pipeline.py.

What random weights cannot tell: the activation outliers of the real Qwen3 weights (trained in
bf16; fp16 overflows past 65504, so a finite loss here does not prove a finite loss with the real
checkpoint on a T4), how the real SD 1.5 weights and Kinetics/ImageNet features behave under fp16,
and anything about convergence or accuracy. YOLOv8n's AMP self-check would download yolo26n.pt: it
is answered offline with what it returns on every GPU outside its GTX-16xx/T-series-laptop list,
which a T4 and data-centre GPUs are.

Output: `<out>/gpu_stage.json` (one row per task and pass) and `<out>/gpu_stage.md` (the table).

Result: not run on a GPU yet (no GPU was available to this repository's work machines). The
`--tiny` run (2026-11-30 06:07 UTC, the second command: torch 2.15.0 on 2 vCPUs shared with
other agents' tests, load average 5-7, 3 measured steps a task) trained all six tasks in both
passes with finite losses in 4.3 minutes (2.9 of them building and training), at 0.24-3.4
steps/s; its cls input-pipeline check measured 2.7-2.9x over the PIL DataLoader. CPU speeds say
nothing about a GPU; the run says the code path works. tests/test_gpu_stage.py runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import importlib
import itertools
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import torch

TASKS = ("cls", "seg", "det", "video", "llm", "gen")
PASSES = ("device", "t4")
T4_GIB = 15.0  # what a 16 GB T4 offers to CUDA (nvidia-smi: 15360 MiB)
CUDA_CONTEXT_GIB = 0.5  # CUDA context + cuBLAS/cuDNN workspaces, not counted by the allocator
GIB = 2**30


@dataclasses.dataclass
class Row:
    task: str
    model: str
    pass_name: str
    precision: str  # accelerate's mixed_precision ("bf16" | "fp16" | "no")
    grad_scaler: bool
    steps: int  # measured optimizer steps (after the warm-up)
    steps_per_s: float
    items_per_s: float
    unit: str  # images, clips or tokens
    peak_allocated_gib: float | None
    peak_reserved_gib: float | None
    losses: list[float]
    loss_finite: bool = False
    fits_t4: bool | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loss_finite = bool(self.losses) and all(math.isfinite(x) for x in self.losses)
        if self.pass_name == "t4" and self.peak_reserved_gib is not None:
            self.fits_t4 = self.peak_reserved_gib + CUDA_CONTEXT_GIB <= T4_GIB


def precision_for(pass_name: str) -> str:
    """accelerate's mixed_precision for a pass; on a CPU both are "no" (accelerate has no fp16)."""
    from wb_common.precision import mixed_precision

    if pass_name == "t4" and torch.cuda.is_available():
        return "fp16"
    return mixed_precision()


@dataclasses.dataclass
class Stage:
    """What one pass runs on: device, precision, sizes (`tiny`), step counts, a scratch folder."""

    pass_name: str
    tiny: bool
    steps: int
    warmup: int
    workdir: Path
    device: torch.device = dataclasses.field(init=False)
    precision: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.precision = precision_for(self.pass_name)

    @property
    def dtype(self) -> torch.dtype:
        from wb_common.precision import torch_dtype

        return torch_dtype(self.precision)

    def accelerator(self):
        from accelerate import Accelerator

        return Accelerator(mixed_precision=self.precision, cpu=self.device.type == "cpu")

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()


# --- measuring ----------------------------------------------------------------------------------


@contextlib.contextmanager
def t4_kernels(stage: Stage) -> Iterator[None]:
    """On the t4 pass: no TF32 and only the attention kernels a T4 has."""
    if stage.pass_name != "t4" or stage.device.type != "cuda":
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    cudnn_tf32 = torch.backends.cudnn.allow_tf32
    matmul_precision = torch.get_float32_matmul_precision()
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        with sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]):
            yield
    finally:
        torch.backends.cudnn.allow_tf32 = cudnn_tf32
        torch.set_float32_matmul_precision(matmul_precision)


def fresh_memory(stage: Stage) -> None:
    gc.collect()
    if stage.device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_memory(stage: Stage) -> tuple[float | None, float | None]:
    if stage.device.type != "cuda":
        return None, None
    return torch.cuda.max_memory_allocated() / GIB, torch.cuda.max_memory_reserved() / GIB


def timed(stage: Stage, run: Callable[[], Any]) -> tuple[float, Any]:
    stage.sync()
    start = time.perf_counter()
    result = run()
    stage.sync()
    return time.perf_counter() - start, result


def row(
    stage: Stage,
    task: str,
    model: str,
    seconds: float,
    per_step: float,
    unit: str,
    losses: list[float],
    scaler: bool,
    **extra: Any,
) -> Row:
    allocated, reserved = peak_memory(stage)
    return Row(
        task,
        model,
        stage.pass_name,
        stage.precision,
        scaler,
        stage.steps,
        stage.steps / seconds,
        stage.steps * per_step / seconds,
        unit,
        allocated,
        reserved,
        [float(x) for x in losses],
        extra=extra,
    )


# --- cls, seg, video: the package's own train_one_epoch under accelerate ------------------------


def epoch_loop(stage: Stage, model, optimizer, scheduler, dataset, batch: int, collate, one_epoch):
    """Warm-up epoch of `warmup` batches, then a timed one of `steps`: seconds, losses, scaler."""
    from torch.utils.data import DataLoader, Subset

    accelerator = stage.accelerator()
    warm = DataLoader(
        Subset(dataset, range(stage.warmup * batch)), batch_size=batch, collate_fn=collate
    )
    main = DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True, collate_fn=collate)
    model, optimizer, warm, main, scheduler = accelerator.prepare(
        model, optimizer, warm, main, scheduler
    )
    first = one_epoch(model, warm, optimizer, scheduler, accelerator)["train/loss"]
    seconds, metrics = timed(
        stage, lambda: one_epoch(model, main, optimizer, scheduler, accelerator)
    )
    return seconds, [first, metrics["train/loss"]], accelerator.scaler is not None


EPOCH_TASKS = {  # task: package, model, what a batch item is, the --tiny Config fields
    "cls": ("cls_train", "resnet18", "images", dict(img_size=32, batch_size=8)),
    "seg": ("seg_train", "deeplabv3_mobilenet_v3_large", "images", dict(img_size=32, batch_size=4)),
    "video": ("video_train", "r3d_18", "clips", dict(num_frames=4, img_size=32, batch_size=2)),
}


def training_data(task: str, cfg, n: int):
    """`n` items of the shapes the task trains on: the package's synthetic twin, random clips."""
    if task == "cls":
        from cls_train.data import synthetic_images

        return synthetic_images(n, size=32)  # CIFAR-10's size; prepare_batch resizes
    if task == "seg":
        from seg_train.data import CLASS_MAPPINGS, synthetic_pets, to_classes

        return to_classes(*synthetic_pets(n, cfg.img_size), CLASS_MAPPINGS[cfg.class_mapping])
    from video_train.data import VideoTensors

    side = cfg.img_size + cfg.img_size // 8  # decoded a little larger; prepare_batch crops
    clips = torch.randint(0, 256, (n, cfg.num_frames, 3, side, side), dtype=torch.uint8)
    return VideoTensors(clips, torch.randint(0, 10, (n,)), [f"class_{i}" for i in range(10)])


def run_epochs(stage: Stage, task: str) -> Row:
    """cls, seg, video: the package's build_model, optimizer, scheduler and train_one_epoch."""
    package, model_name, unit, tiny = EPOCH_TASKS[task]
    config, model, train = (
        importlib.import_module(f"{package}.{m}") for m in ("config", "model", "train")
    )
    cfg = config.Config(pretrained=False)
    if stage.tiny:
        cfg = dataclasses.replace(cfg, **tiny)
    batches = max(stage.steps, stage.warmup)
    dataset = training_data(task, cfg, cfg.batch_size * batches)
    net = model.build_model(cfg, num_classes=len(dataset.class_names))
    if task != "video":  # as cls/seg train(); R3D's 5-D weights have no channels_last
        net = net.to(memory_format=torch.channels_last)
    optimizer = train.build_optimizer(cfg, net)
    if hasattr(train, "build_scheduler"):
        scheduler = train.build_scheduler(cfg, optimizer, steps_per_epoch=batches)
    else:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=batches * 4)
    last = cfg if task == "video" else cfg.img_size  # train_one_epoch's last argument
    seconds, losses, scaler = epoch_loop(
        stage, net, optimizer, scheduler, dataset, cfg.batch_size,
        importlib.import_module(f"{package}.data")._whole_batch,
        lambda m, loader, o, s, a: train.train_one_epoch(m, loader, o, s, a, last),
    )  # fmt: skip
    result = row(stage, task, model_name, seconds, cfg.batch_size, unit, losses, scaler)
    if task == "video":
        result.extra["clip"] = f"{cfg.num_frames}x{cfg.img_size}x{cfg.img_size}"
    if task == "cls":
        result.extra["input_pipeline"] = cls_input_pipeline(stage, dataset, cfg.img_size)
    return result


def cls_input_pipeline(stage: Stage, dataset, size: int) -> dict[str, float]:
    """images/s: the PIL per-image DataLoader baseline vs ours (gather + prepare_batch there)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import cls_input_pipeline as bench  # bench/cls_input_pipeline.py: the same baseline
    from cls_train.data import _whole_batch, prepare_batch
    from torch.utils.data import DataLoader

    bench.SIZE = size  # the baseline crops to the size the model trains at
    workers = 0 if stage.tiny else 2  # Colab's two vCPUs
    baseline = bench.images_per_second(
        DataLoader(
            bench.PilDataset(dataset), batch_size=bench.BATCH, shuffle=True, num_workers=workers
        )
    )

    def on_device(images: torch.Tensor) -> None:
        prepare_batch(images.to(stage.device, non_blocking=True), size, train=True)
        stage.sync()

    loader = DataLoader(
        dataset,
        batch_size=bench.BATCH,
        shuffle=True,
        collate_fn=_whole_batch,
        pin_memory=stage.device.type == "cuda",
    )
    ours = bench.images_per_second(loader, on_device)
    return {
        "baseline_pil_images_per_s": baseline,
        "ours_images_per_s": ours,
        "speedup": ours / baseline,
    }


# --- det: Ultralytics' own trainer with det-train's arguments -------------------------------------


def run_det(stage: Stage) -> Row:
    from det_train.config import Config
    from det_train.data import DetectionData, list_images, write_synthetic_dataset
    from det_train.model import build_model
    from det_train.train import ultralytics_args
    from det_train.yolo_env import ensure_font

    cfg = Config(
        pretrained=False,
        dataset="synthetic",
        epochs=1,
        data_dir=stage.workdir,
        output_dir=stage.workdir / f"det-{stage.pass_name}",
        device="cpu" if stage.device.type == "cpu" else "0",
    )
    if stage.tiny:
        cfg = dataclasses.replace(cfg, imgsz=64, batch=4, workers=0)
    n_train = cfg.batch * (stage.warmup + stage.steps)  # one epoch = exactly these batches
    root = stage.workdir / f"det-shapes-{cfg.imgsz}-{n_train}"
    yaml_path = root.with_suffix(".yaml")
    if not yaml_path.is_file():  # the second pass reuses the first pass's images
        write_synthetic_dataset(root, n_train=n_train, n_val=cfg.batch, size=cfg.imgsz)
    data = DetectionData(
        yaml_path,
        root,
        ["shape"],
        list_images(root / "images" / "train"),
        list_images(root / "images" / "val"),
    )
    ensure_font()
    model = build_model(cfg)  # yolov8n.yaml: the architecture, random weights
    times: list[float] = []
    losses: list[float] = []
    trainers: list[Any] = []

    def on_batch_end(trainer) -> None:
        stage.sync()
        times.append(time.perf_counter())
        losses.append(float(trainer.loss.detach().sum()))
        trainers[:1] = [trainer]

    model.add_callback("on_train_batch_end", on_batch_end)
    args = {**ultralytics_args(cfg, data), "val": False, "plots": False, "verbose": False}

    def amp_check_offline(module) -> bool:
        # check_amp compares fp32 and fp16 boxes of a downloaded yolo26n.pt; it returns True on
        # every CUDA GPU outside its GTX-16xx/T-series-laptop list (a T4 is not on it).
        return next(module.parameters()).device.type == "cuda"

    with mock.patch("ultralytics.engine.trainer.check_amp", amp_check_offline):
        model.train(**args)
    trainer = trainers[0]
    seconds = times[-1] - times[stage.warmup - 1]
    scaler = bool(trainer.scaler.is_enabled())
    result = row(
        stage,
        "det",
        "yolov8n",
        seconds,
        cfg.batch,
        "images",
        losses[stage.warmup - 1 :],
        scaler,
        imgsz=cfg.imgsz,
        optimizer_step_every_batches=trainer.accumulate,
    )
    result.precision = "fp16" if trainer.amp else "no"  # Ultralytics' own AMP rule, both passes
    return result


# --- llm: a Qwen3-4B-shaped decoder in 4-bit NF4 + LoRA through TRL's SFTTrainer -----------------


def qwen3_4b_config():
    """Qwen/Qwen3-4B's config.json sizes (36 layers, 2560 wide, GQA 32/8 heads, 151936 tokens)."""
    from transformers import Qwen3Config

    return Qwen3Config(
        vocab_size=151936,
        hidden_size=2560,
        intermediate_size=9728,
        num_hidden_layers=36,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=40960,
        rope_theta=1_000_000,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        bos_token_id=151643,
        eos_token_id=151645,
    )


def run_llm(stage: Stage) -> Row:
    from datasets import Dataset
    from llm_train.config import Config
    from llm_train.data import SMOKE_FILE, read_pairs, to_messages
    from llm_train.model import (
        NF4,
        build_model,
        keep_adapters_in,
        quantization_of,
        smoke_base_model,
        smoke_tokenizer,
        training_tokenizer,
    )
    from llm_train.train import sft_config
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import SFTTrainer

    cfg = Config()
    steps, warmup = (stage.steps, stage.warmup) if stage.tiny else (max(stage.steps // 4, 3), 1)
    tokenizer = smoke_tokenizer()  # ids only: the data is random tokens, no download
    base_dir = stage.workdir / ("qwen3-tiny" if stage.tiny else "qwen3-4b-shaped")
    if stage.tiny:
        cfg = dataclasses.replace(cfg, batch_size=2, grad_accum=1, max_seq_len=32)
    if not (base_dir / "config.json").is_file():  # random weights, saved once for both passes
        if stage.tiny:
            base = smoke_base_model(tokenizer)
        else:
            with torch.device(stage.device):
                base = AutoModelForCausalLM.from_config(qwen3_4b_config(), dtype=torch.bfloat16)
        base.save_pretrained(base_dir)
        del base
        fresh_memory(stage)
    cfg = dataclasses.replace(cfg, base_model=str(base_dir), output_dir=stage.workdir / "llm")
    model = build_model(cfg, stage.dtype)  # from_pretrained: NF4 + double quant, then LoRA
    # Chat pairs of random words from the bundled Korean pairs (the tokenizer knows them), long
    # enough to be cut at max_seq_len: TRL renders and masks them exactly as in llm-train.
    words = " ".join(p["instruction"] + " " + p["output"] for p in read_pairs(SMOKE_FILE)).split()
    rng = random.Random(0)
    rows = (warmup + steps) * cfg.batch_size * cfg.grad_accum
    dataset = Dataset.from_list([
        {"messages": to_messages(" ".join(rng.choices(words, k=cfg.max_seq_len // 8)),
                                 " ".join(rng.choices(words, k=cfg.max_seq_len)))}
        for _ in range(rows)
    ])  # fmt: skip
    args = dataclasses.replace(
        sft_config(cfg, stage.dtype, resuming=False),
        output_dir=str(stage.workdir / "llm-out"),
        max_steps=warmup + steps,
        eval_strategy="no",
        eval_on_start=False,
        save_strategy="no",
        report_to="none",
        logging_steps=1,
        disable_tqdm=True,
    )
    times: list[float] = []
    losses: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            stage.sync()
            times.append(time.perf_counter())

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=training_tokenizer(tokenizer),  # as llm-train: {% generation %} markers
        callbacks=[Clock()],
    )
    if stage.dtype == torch.float16:
        keep_adapters_in(model, torch.float32)  # as llm_train.train does for fp16
    trainer.train()
    scaler = getattr(trainer.accelerator, "scaler", None) is not None
    stage_steps = dataclasses.replace(stage, steps=steps)
    tokens = cfg.batch_size * cfg.grad_accum * cfg.max_seq_len
    return row(
        stage_steps,
        "llm",
        f"{'qwen3 smoke twin' if stage.tiny else 'qwen3-4b-shaped'} nf4 + lora",
        times[-1] - times[warmup - 1],
        tokens,
        "tokens",
        losses,
        scaler,
        layers=model.config.num_hidden_layers,
        four_bit=quantization_of(model) == NF4,
    )


# --- gen: SD 1.5's UNet, VAE and text encoder from their configs + gen-train's LoRA --------------


def run_gen(stage: Stage) -> Row:
    """gen-train's build_training and training_step, through bench/gen_lora_step_speed.py."""
    sys.path.insert(0, str(Path(__file__).parent))
    from gen_lora_step_speed import lora_training, train_steps
    from gen_train.config import Config, smoke_config
    from gen_train.train import endless_batches

    cfg = Config(dataset="synthetic", output_dir=stage.workdir / f"gen-{stage.pass_name}")
    if stage.tiny:
        cfg = dataclasses.replace(smoke_config(cfg), batch_size=2)
    training = lora_training(cfg, stage.precision, stage.device)
    it = endless_batches(training.train_loader)
    losses = train_steps(training, cfg, stage.warmup, it)
    seconds, measured = timed(stage, lambda: train_steps(training, cfg, stage.steps, it))
    return row(
        stage,
        "gen",
        f"{'sd tiny twin' if stage.tiny else 'sd15'} unet+vae+clip, lora",
        seconds,
        cfg.batch_size,
        "images",
        losses + measured,
        training.accelerator.scaler is not None,
        resolution=cfg.resolution,
        lora_rank=cfg.lora_rank,
    )


RUNNERS: dict[str, Callable[[Stage], Row]] = {
    "cls": lambda stage: run_epochs(stage, "cls"),
    "seg": lambda stage: run_epochs(stage, "seg"),
    "det": run_det,
    "video": lambda stage: run_epochs(stage, "video"),
    "llm": run_llm,
    "gen": run_gen,
}


# --- the two passes and the report --------------------------------------------------------------


def run_passes(
    pass_names: list[str], tasks: list[str], tiny: bool, steps: int, workdir: Path
) -> list[Row]:
    """Passes of one precision in this process; a failing task becomes a row with its error."""
    rows = []
    for pass_name, task in itertools.product(pass_names, tasks):
        stage = Stage(pass_name, tiny, steps, warmup=1 if tiny else 3, workdir=workdir)
        fresh_memory(stage)
        torch.manual_seed(0)
        start = time.perf_counter()
        try:
            with t4_kernels(stage):
                result = RUNNERS[task](stage)
        except Exception as err:  # one broken task must not cost the other five their numbers
            allocated, reserved = peak_memory(stage)
            result = Row(
                task,
                "",
                pass_name,
                stage.precision,
                False,
                0,
                0.0,
                0.0,
                "",
                allocated,
                reserved,
                [],
                extra={"error": f"{type(err).__name__}: {err}"[:500]},
            )
        result.extra["wall_s"] = round(time.perf_counter() - start, 1)  # build + data + steps
        print(
            f"[gpu-stage] {pass_name:6s} {task:5s} {result.steps_per_s:8.2f} steps/s "
            f"in {result.extra['wall_s']:6.1f} s, loss finite: {result.loss_finite} "
            f"{result.extra.get('error', '')}",
            flush=True,
        )
        rows.append(result)
    return rows


def device_name() -> str:
    if not torch.cuda.is_available():
        return "cpu (no CUDA device)"
    major, minor = torch.cuda.get_device_capability()
    return f"{torch.cuda.get_device_name()} (compute capability {major}.{minor})"


def markdown(report: dict[str, Any]) -> str:
    def num(value: float | None, fmt: str) -> str:
        return "–" if value is None else format(value, fmt)

    lines = [
        f"GPU stage check — {report['device']}, torch {report['torch']}, {report['date']}"
        + (
            " (--tiny: CPU, tiny configs; speeds and memory mean nothing)" if report["tiny"] else ""
        ),
        "",
        "| task | model | pass | precision | GradScaler | steps/s | throughput | peak alloc GiB "
        "| peak reserved GiB | loss finite | fits a 16 GB T4 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        fits = {True: "yes", False: "**no**", None: "–"}[r["fits_t4"]]
        finite = "yes" if r["loss_finite"] else f"**no** {r['extra'].get('error', '')}".strip()
        lines.append(
            f"| {r['task']} | {r['model']} | {r['pass_name']} | {r['precision']} | "
            f"{'yes' if r['grad_scaler'] else 'no'} | {r['steps_per_s']:.2f} | "
            f"{r['items_per_s']:.1f} {r['unit']}/s | {num(r['peak_allocated_gib'], '.2f')} | "
            f"{num(r['peak_reserved_gib'], '.2f')} | {finite} | {fits} |"
        )
    for r in report["rows"]:
        if pipeline := r["extra"].get("input_pipeline"):
            lines.append(
                f"\ncls input pipeline ({r['pass_name']} pass): PIL DataLoader baseline "
                f"{pipeline['baseline_pil_images_per_s']:.0f} images/s, ours on the device "
                f"{pipeline['ours_images_per_s']:.0f} images/s ({pipeline['speedup']:.1f}x)."
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CPU, tiny configs: the test")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--steps", type=int, default=None, help="measured steps (default 20)")
    parser.add_argument("--out", type=Path, default=Path("outputs/gpu-stage"))
    parser.add_argument("--workdir", type=Path, default=None, help="scratch (default: a temp dir)")
    parser.add_argument(
        "--pass-name", nargs="+", choices=PASSES, help=argparse.SUPPRESS
    )  # the child
    parser.add_argument("--rows-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps = args.steps or (3 if args.tiny else 20)

    if args.pass_name:  # a child process: its passes, rows to a file
        rows = run_passes(args.pass_name, args.tasks, args.tiny, steps, args.workdir)
        args.rows_out.write_text(json.dumps([dataclasses.asdict(r) for r in rows]))
        return 0

    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "YOLO_OFFLINE": "1",
        "WANDB_MODE": "disabled",
        "TOKENIZERS_PARALLELISM": "false",
    }
    if args.tiny:  # the CPU, even on a machine with a GPU: the test's numbers stay comparable
        env["CUDA_VISIBLE_DEVICES"] = ""
    # accelerate fixes the precision once per process: one child process per precision (on a
    # bf16 GPU two; on a CPU, or on a T4 itself, both passes share one and the imports).
    by_precision: dict[str, list[str]] = {}
    for pass_name in PASSES:
        precision = "no" if args.tiny else precision_for(pass_name)
        by_precision.setdefault(precision, []).append(pass_name)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gpu-stage-") as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()
        for precision, pass_names in by_precision.items():
            rows_out = Path(tmp) / f"rows-{precision}.json"
            cmd = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--pass-name",
                *pass_names,
                "--rows-out",
                str(rows_out),
                "--workdir",
                str(workdir),
                "--steps",
                str(steps),
                "--tasks",
                *args.tasks,
                *(["--tiny"] if args.tiny else []),
            ]
            proc = subprocess.run(cmd, env=env, check=False)
            if proc.returncode != 0 or not rows_out.is_file():
                print(
                    f"[gpu-stage] the {' and '.join(pass_names)} pass exited {proc.returncode}",
                    file=sys.stderr,
                )
                return 1
            rows += json.loads(rows_out.read_text())
    report = {
        "device": device_name(),
        "torch": torch.__version__,
        "tiny": args.tiny,
        "steps": steps,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_stage.json").write_text(json.dumps(report, indent=2))
    table = markdown(report)
    (args.out / "gpu_stage.md").write_text(table)
    print(table)
    return 0 if all(r["loss_finite"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
