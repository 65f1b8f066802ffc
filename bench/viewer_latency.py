"""Cold start to first prediction, and warm p50/p95 latency, per model type, on the CPU.

    .venv/bin/python bench/viewer_latency.py            # all four types, ~3 min
    .venv/bin/python bench/viewer_latency.py --runs 50 --types detection

Each model is built with the task packages' production settings (cls 224 px, seg 128 px,
det 640 px, video 16 x 112 x 112; untrained weights: latency does not depend on their values),
saved as an artifact folder with its card, and served through the viewer's own code:
`load_model` + `predict` on the shipped sample, exactly what the app and `viewer-deploy` run.

Cold start = a fresh Python process: imports, loading the weights, first prediction (the
Streamlit server's own start is not included). Warm = the same model, `--runs` predictions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPES = ("classification", "segmentation", "detection", "video-classification")
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
KINETICS = {"mean": [0.43216, 0.394666, 0.37645], "std": [0.22803, 0.22145, 0.216989]}


def build_artifact(model_type: str, folder: Path) -> None:
    import torch
    from wb_common import ModelCard

    folder.mkdir(parents=True, exist_ok=True)
    names = [f"class-{i}" for i in range(10)]
    if model_type == "detection":
        from ultralytics import YOLO
        from ultralytics.nn.tasks import DetectionModel

        yolo = YOLO("yolov8n.yaml", task="detect")
        yolo.model = DetectionModel("yolov8n.yaml", nc=len(names), verbose=False)
        yolo.model.names = dict(enumerate(names))
        yolo.save(str(folder / "best.pt"))
        card = ModelCard(model_type, "yolov8n", "best.pt", names, [640, 640])
    elif model_type == "classification":
        from torchvision.models import resnet18

        module = resnet18(weights=None)
        module.fc = torch.nn.Linear(512, len(names))
        card = ModelCard(model_type, "resnet18", "model.pth", names, [224, 224], IMAGENET)
    elif model_type == "segmentation":
        from torchvision.models.segmentation import deeplabv3_mobilenet_v3_large

        names = ["pet", "background", "border"]
        module = deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=3, aux_loss=False
        )
        card = ModelCard(model_type, "deeplabv3_mobilenet_v3_large", "model.pth", names,
                         [128, 128], IMAGENET)  # fmt: skip
    else:
        from torchvision.models.video import r3d_18

        module = r3d_18(weights=None, num_classes=len(names))
        card = ModelCard(model_type, "r3d_18", "model.pth", names, [16, 112, 112], KINETICS,
                         extra={"clip_duration": 2.0})  # fmt: skip
    if model_type != "detection":
        torch.save(module.state_dict(), folder / card.weights_file)
    card.write(folder)


def cold(folder: Path) -> None:
    """Run in a fresh process: print seconds from start to the first prediction."""
    start = time.perf_counter()
    from viewer.inference import predict
    from viewer.models import load_model
    from viewer.samples import load_sample

    served = load_model(folder)
    predict(served, load_sample(served.card))
    print(json.dumps({"cold_s": time.perf_counter() - start}))


def warm(folder: Path, runs: int) -> dict[str, float]:
    from viewer.inference import predict
    from viewer.models import load_model
    from viewer.samples import load_sample

    served = load_model(folder)
    sample = load_sample(served.card)
    predict(served, sample)  # first call: lazy init inside torch/Ultralytics
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        predict(served, sample)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--types", nargs="+", default=list(TYPES), choices=TYPES)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold", type=Path, help=argparse.SUPPRESS)  # internal: child process
    args = parser.parse_args()
    if args.cold:
        cold(args.cold)
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, runs={args.runs}")
    with tempfile.TemporaryDirectory() as tmp:
        for model_type in args.types:
            folder = Path(tmp) / model_type
            build_artifact(model_type, folder)
            child = subprocess.run(
                [sys.executable, __file__, "--cold", str(folder)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            cold_s = json.loads(child.stdout.strip().splitlines()[-1])["cold_s"]
            result = warm(folder, args.runs)
            print(
                f"{model_type:22s} cold start {cold_s:5.1f} s   "
                f"p50 {result['p50_ms']:7.1f} ms   p95 {result['p95_ms']:7.1f} ms"
            )


if __name__ == "__main__":
    main()
