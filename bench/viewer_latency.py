"""Cold start to first prediction, and warm p50/p95 latency, per model type, on the CPU.

    uv run --all-packages python bench/viewer_latency.py               # 4 types, ~12 min
    uv run --all-packages python bench/viewer_latency.py --runs 50 --types detection
    uv run --all-packages python bench/viewer_latency.py --no-browser  # no browser column, ~3 min

Each model is built with the task packages' production settings (cls 224 px, seg 128 px,
det 640 px, video 16 x 112 x 112; untrained weights: latency does not depend on their values),
saved as an artifact folder with its card, and served through the viewer's own code:
`load_model` + `predict` on the shipped sample, exactly what the app and `viewer-deploy` run.

Cold start = a fresh Python process: imports, loading the weights, first prediction (the
Streamlit server's own start is not included). Warm = the same model, `--runs` predictions.
The cold process also reports which heavy libraries it imported (ultralytics, av): each only for
the model type that needs it.

Browser = what a visitor of a freshly started viewer waits: the model deployed with
`viewer-deploy --artifact-dir` into an empty viewer folder, then from `streamlit run` (the
packaged app, started by `viewer.rehearse.start_viewer`) until Debian's chromium, driven by
Playwright (`viewer.browser`, as the browser test does), shows the prediction for the uploaded
sample: "server" = Streamlit answers its health check, "page" = the page shows the model,
"prediction" = the prediction text is in the DOM. The browser itself is started before the clock
(a visitor's is already open). W&B is offline (no key): the page shows the card's own data.
Needs /usr/bin/chromium (`apt-get install -y chromium`); without it the column is skipped.

Result (2026-11-30 03:00 UTC, the first command: 30 predictions a type, torch 2 threads on 2
vCPUs shared with four other agents, load average 6-7.5, no GPU; apps/viewer/README.md has the
table): cold start to first prediction 25-39 s; warm p50 / p95: classification (224 px) 1526 /
2482 ms, segmentation (128 px) 718 / 3371 ms, detection (640 px) 343 / 394 ms, video
(16x112x112) 3269 / 3711 ms; `streamlit run` to the prediction in chromium 34-56 s. At load
4.6-6 the same machine gave cold starts of 11-21 s and a classification p50 of 401 ms: the load
moves these numbers 2-4x. Not re-run for the bench-command change of 2026-11-30 05:40.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPES = ("classification", "segmentation", "detection", "video-classification")
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
KINETICS = {"mean": [0.43216, 0.394666, 0.37645], "std": [0.22803, 0.22145, 0.216989]}
HEAVY = ("ultralytics", "av")  # imported only when a detection / video model is served
ENTITY = "bench"  # the allow-listed entity of the browser measurement's deploys
BROWSER_TIMEOUT_MS = 300_000  # a shared 2-core machine can take minutes to import torch


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
        card = ModelCard(
            model_type, "deeplabv3_mobilenet_v3_large", "model.pth", names, [128, 128], IMAGENET
        )
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
    elapsed = time.perf_counter() - start
    print(json.dumps({"cold_s": elapsed, "heavy": sorted(set(HEAVY) & set(sys.modules))}))


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


def deploy_artifact(model_type: str, folder: Path, home: Path) -> None:
    """`viewer-deploy --artifact-dir` in this process: the viewer folder the app serves from."""
    from viewer.deploy import main as deploy_main
    from wb_common.payload import example_client_payload

    payload = home.parent / f"payload-{model_type}.json"
    payload.write_text(
        json.dumps(example_client_payload(ENTITY, collection_of(model_type), "v0", "bench"))
    )
    said = io.StringIO()
    with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
        code = deploy_main(["--payload-file", str(payload), "--artifact-dir", str(folder),
                            "--home", str(home), "--allowed-entity", ENTITY])  # fmt: skip
    if code != 0:
        raise RuntimeError(f"viewer-deploy failed for {model_type}: {said.getvalue().strip()}")


def browser_cold(model_type: str, folder: Path, workdir: Path) -> dict[str, float]:
    """Seconds from `streamlit run` to: health check, model shown, prediction in the DOM."""
    from playwright.sync_api import expect, sync_playwright
    from viewer.browser import launch_chromium
    from viewer.rehearse import start_viewer
    from viewer.samples import SAMPLE_IMAGE, SAMPLE_VIDEO

    home = workdir / f"viewer-{model_type}"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "WANDB_API_KEY"}
    # no key from ~/.netrc either: the page's W&B view stays offline, as on an air-gapped host
    env.update(WANDB_MODE="offline", WANDB_DIR=str(workdir), NETRC=str(workdir / "no-netrc"))
    deploy_artifact(model_type, folder, home)  # local files and a concrete version: no W&B call
    sample = SAMPLE_VIDEO if model_type == "video-classification" else SAMPLE_IMAGE
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            start = time.perf_counter()
            server, url = start_viewer(home, env)
            try:
                times = {"server_s": time.perf_counter() - start}
                page.goto(url)
                shown = page.get_by_text(collection_of(model_type)).first
                expect(shown).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
                times["page_s"] = time.perf_counter() - start
                page.get_by_role("tab", name="🔍 추론 테스트").click()
                page.locator('input[type="file"]').set_input_files(str(sample))
                result = page.get_by_text("예측 · Prediction:")
                expect(result).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
                times["prediction_s"] = time.perf_counter() - start
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        finally:
            browser.close()
    return times


def collection_of(model_type: str) -> str:
    """The registry collection the viewer serves this model type from (its page shows it)."""
    from wb_common.tasks import task_of_model_type

    return task_of_model_type(model_type).collection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--types", nargs="+", default=list(TYPES), choices=TYPES)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true", help="skip `streamlit run` → browser")
    parser.add_argument("--cold", type=Path, help=argparse.SUPPRESS)  # internal: child process
    args = parser.parse_args()
    if args.cold:
        cold(args.cold)
        return
    import torch
    from viewer.browser import CHROMIUM, MISSING

    browser = not args.no_browser and CHROMIUM.exists()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, runs={args.runs}, "
        f"{os.cpu_count()} CPUs, load average {_load()} at the start"
    )
    if not args.no_browser and not browser:
        print(f"browser column skipped: {CHROMIUM} {MISSING}")
    with tempfile.TemporaryDirectory() as tmp:
        for model_type in args.types:
            folder = Path(tmp) / model_type
            build_artifact(model_type, folder)
            child = subprocess.run(
                [sys.executable, __file__, "--cold", str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            cold_result = json.loads(child.stdout.strip().splitlines()[-1])
            result = warm(folder, args.runs)
            line = (
                f"{model_type:22s} cold start {cold_result['cold_s']:5.1f} s "
                f"(imports {'+'.join(cold_result['heavy']) or '-'})   "
                f"p50 {result['p50_ms']:7.1f} ms   p95 {result['p95_ms']:7.1f} ms"
            )
            if browser:
                load = _load()
                seen = browser_cold(model_type, folder, Path(tmp))
                line += (
                    f"   streamlit run → browser: server {seen['server_s']:5.1f} s, "
                    f"page {seen['page_s']:5.1f} s, prediction {seen['prediction_s']:5.1f} s "
                    f"(load average {load})"
                )
            print(line, flush=True)
    print(f"load average {_load()} at the end")


def _load() -> str:
    """The 1/5/15-minute load averages: the machine may be shared while the bench runs."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
