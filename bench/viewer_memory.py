"""Peak memory one viewer upload adds: decode only, and decode + preprocessing + one inference.

    uv run --all-packages python bench/viewer_memory.py --repeats 1   # ~10 min on 2 busy cores
    uv run --all-packages python bench/viewer_memory.py --types detection --json out.json
    uv run --all-packages python bench/viewer_memory.py --tiny --types segmentation   # the test's

Issue 17's budget: any upload the viewer accepts adds at most ~300 MB to the process's peak RSS.
Each measurement runs in a fresh Python process and reports the growth of its peak RSS over the
RSS just before the upload is handled (Linux: the peak, VmHWM, is reset through
/proc/self/clear_refs first, so the imports' and the model load's own transient peaks do not
hide it), and the time taken:

- `decode only`: numpy + Pillow + PyAV + viewer.uploads imported, then one file decoded;
- one row per served model type: the model loaded with `viewer.models.load_model` (after the
  reset point: the number is what the upload adds to a process already serving the model), then
  what a visitor's upload runs in the app: `read_image` / `read_video(..., *video_settings(card))`,
  then `viewer.inference.predict` (the viewer's preprocessing and the first inference; torch's
  and Ultralytics' first-call setup included, so later uploads add no more than this).

Two decoders side by side: `viewer` = `viewer.uploads.read_image` / `read_video` (JPEG `draft`:
the decoder scales by 1/2..1/8 while decoding, MAX_SERVED_SIDE, video frames scaled by FFmpeg when
picked); `full` = what the viewer did before: `Image.open(...).load()` then `.convert("RGB")`, and
every 3rd decoded video frame kept at full size until 16 are picked, scaled at the end. The budget
verdict (PASS/FAIL) is given for the `viewer` column; the process exits 1 when any row FAILs.

The models are the viewer tests' own (apps/viewer/tests/conftest.py: cls-train's smoke training,
seg-train's and video-train's networks and det-train's YOLOv8n untrained, each saved with its
model card), with the card's input size raised to the task packages' production defaults (cls
224 px, seg 128 px, det 640 px, video 16 x 112 x 112 over 2 s): the weights do not depend on it,
the activations do. `--tiny` keeps the smoke cards and uses tiny inputs.

The inputs, generated: a 40 MP JPEG (7680 x 5200, the largest the pixel budget admits; noise, so
it does not compress to nothing), a 12 MP phone-size JPEG, a 40 MP PNG (flat 8 x 8 px blocks of
noise: a photographic 40 MP PNG is 35-65 MB and the 20 MB byte limit refuses it; decoding cost
does not depend on the content), a 1080p 10 s H.264 clip (the largest resolution admitted), and
a 4K (3840 x 2160) 2 s H.264 clip, which the viewer refuses from its header (MAX_VIDEO_PIXELS):
its row shows what the refusal costs, and what the old decoder would have spent on it.
Then issue 24's inputs, small on disk and costly to decode (decode-only rows, `ATTACKS`): a
16-bit grey PNG 6320 x 6320 (40 MP), an 8-bit RGBA PNG with the same pixel count, a 1 x
40,000,000 PNG (refused from its header: aspect ratio), and a 1080p 120 s H.264 clip with a
single keyframe (refused after MAX_DECODED_PIXELS: reaching its middle decodes 1,440 frames).
The `full` column is not measured for that clip: the old decoder kept every 3rd frame of it.

Result (2026-11-30 03:30 UTC, `--repeats 1` on 2 vCPUs while the whole CI ran beside it, load
average 4.3 -> 2.1; apps/viewer/README.md has the table): every row within the 300 MB budget
(PASS). Largest `viewer` rows: 40 MP PNG + segmentation 290 MB, 40 MP JPEG / PNG + detection
217 MB, 40 MP PNG decode only 195 MB, 1080p clip + video classification 107 MB; the old `full`
decoder took up to 2761 MB (40 MP + segmentation). Memory barely depends on the load; the
times do. Not re-run for the bench-command change of 2026-11-30 05:40.

Issue 24's rows (2026-12-07 05:50 UTC, `--types video-classification --inputs png16-40mp
rgba-40mp png-1x40m video-1key --repeats 1`, load average 11.7 -> 13.0), `viewer` column: 16-bit
PNG 130 MB, RGBA PNG 179 MB, 1 x 40,000,000 PNG refused at 1 MB, one-keyframe 1080p 120 s clip
refused at 9 MB in 0.07 s: all PASS. The viewer before this change (its own read_image /
read_video, measured the same way): 1297 MB, 306 MB, 192 MB, and 1,440 decoded frames (25 s
under that load).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ATTACKS = ("png16-40mp", "rgba-40mp", "png-1x40m", "video-1key")  # decode-only rows
TYPES = ("classification", "segmentation", "detection", "video-classification")
TESTS = Path(__file__).resolve().parents[1] / "apps" / "viewer" / "tests"
BUDGET_MB = 300.0
DECODE_ONLY = "decode only"

CASE = r"""
import io, json, sys, time
import numpy as np, av
from PIL import Image
from viewer.uploads import Clip, UploadError, read_image, read_video, video_settings
def kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
decoder, kind, path, folder = sys.argv[1:5]
data = open(path, "rb").read()
served = None
if folder != "-":
    from viewer.inference import predict
    from viewer.models import load_model
    served = load_model(folder)
def decode():
    if kind == "image":
        if decoder == "viewer":
            return read_image(data)
        image = Image.open(io.BytesIO(data)); image.load(); return image.convert("RGB")
    length, seconds, (height, width) = (
        video_settings(served.card) if served else (16, 2.0, (112, 112)))
    if decoder == "viewer":
        return read_video(data, length, seconds, (height, width))
    # the viewer before: the picked frames kept at full size, scaled at the end
    with av.open(io.BytesIO(data)) as c:
        frames = [f for i, f in enumerate(c.decode(video=0)) if i % 3 == 0][:length]
        small = [f.reformat(width=width, height=height, format="rgb24").to_ndarray()
                 for f in frames]
    return Clip(np.stack(small), 0.0, 0.0, 0.0)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak RSS to the current RSS
base = kb("VmRSS")
start = time.perf_counter()
out, refused, summary = None, None, None
try:
    item = decode()
    out = list(item.frames.shape) if isinstance(item, Clip) else list(item.size)
    if served is not None:
        summary = predict(served, item).summary
except UploadError as err:
    refused = str(err)
seconds = time.perf_counter() - start
peak = kb("VmHWM")
print(json.dumps({"mb": (peak - base) / 1024, "s": seconds, "out": out, "refused": refused,
                  "summary": summary, "base_mb": base / 1024}))
"""


@dataclasses.dataclass
class Input:
    name: str
    kind: str  # "image" or "video"
    path: Path
    label: str  # what it is, for the table
    full: bool = True  # measure the old decoder too (not where it would take gigabytes)

    @property
    def file_mb(self) -> float:
        return self.path.stat().st_size / 1e6


def _noise_image(rng, width: int, height: int, block: int, resample):
    import numpy as np
    from PIL import Image

    small = rng.integers(0, 255, (height // block, width // block, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((width, height), resample)


def _clip(path: Path, width: int, height: int, frames: int) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            pixels = np.full((height, width, 3), (i * 3) % 255, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())


def grey16_png(path: Path, side: int) -> None:
    """A 16-bit grey PNG, mostly flat (a few KB per megapixel on disk)."""
    import numpy as np
    from PIL import Image

    pixels = np.zeros((side, side), dtype=np.uint16)
    pixels[::7, ::5] = 40000
    Image.fromarray(pixels).save(path, "PNG", compress_level=1)


def rgba_png(path: Path, side: int) -> None:
    """An 8-bit RGBA PNG, mostly flat (alpha: Pillow converts it through premultiplied RGBa)."""
    import numpy as np
    from PIL import Image

    pixels = np.zeros((side, side, 4), dtype=np.uint8)
    pixels[::7, ::5] = 200
    Image.fromarray(pixels).save(path, "PNG", compress_level=1)  # (H, W, 4) uint8: RGBA


def line_png(path: Path, width: int) -> None:
    """A 1 px high PNG `width` px wide: within the pixel count, not within the aspect ratio."""
    from PIL import Image

    Image.new("L", (width, 1)).save(path, "PNG")


def one_keyframe_clip(path: Path, width: int, height: int, fps: int, frames: int) -> None:
    """H.264 with a single keyframe: the first frame, then one unchanged P-frame's packet muxed
    `frames - 1` times. Decoding costs what encoding every frame would (which takes ~10 s per
    600 frames of 1080p here); writing it takes a fraction of a second, and a few hundred KB."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {
            "preset": "ultrafast",
            "x264-params": "keyint=infinite:scenecut=0:bframes=0",
        }
        pixels = np.zeros((height, width, 3), dtype=np.uint8)
        pixels[::16, ::16] = 255
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
        encoded = []
        for index in range(2):
            frame.pts = index
            encoded += stream.encode(frame)
        encoded += stream.encode()
        key, unchanged = encoded[0], encoded[1]
        step = unchanged.pts - key.pts
        for index in range(frames):
            packet = av.Packet(bytes(key if index == 0 else unchanged))
            packet.stream, packet.time_base = stream, key.time_base
            packet.pts = packet.dts = key.pts + index * step
            packet.is_keyframe = index == 0
            container.mux(packet)


def make_inputs(folder: Path, tiny: bool = False) -> list[Input]:
    import numpy as np
    from PIL import Image
    from viewer.uploads import MAX_IMAGE_BYTES

    rng = np.random.default_rng(0)
    bilinear, nearest = Image.Resampling.BILINEAR, Image.Resampling.NEAREST
    if tiny:
        jpegs = {"jpeg-tiny": (320, 240)}
        pngs = {"png-tiny": (320, 240)}
        clips = {"video-tiny": (64, 48, 24)}
    else:
        jpegs = {"jpeg-40mp": (7680, 5200), "jpeg-12mp": (4000, 3000)}
        pngs = {"png-40mp": (7680, 5200)}
        clips = {"video-1080p": (1920, 1080, 240), "video-4k": (3840, 2160, 48)}
    inputs = []
    for name, (width, height) in jpegs.items():
        path = folder / f"{name}.jpg"
        _noise_image(rng, width, height, 8, bilinear).save(path, "JPEG", quality=85)
        inputs.append(Input(name, "image", path, f"JPEG {width}x{height}"))
    for name, (width, height) in pngs.items():
        path = folder / f"{name}.png"
        _noise_image(rng, width, height, 8, nearest).save(path, "PNG")
        if path.stat().st_size > MAX_IMAGE_BYTES:  # would measure a refusal, not a decode
            raise RuntimeError(f"{path.name} is over the viewer's byte limit")
        inputs.append(Input(name, "image", path, f"PNG {width}x{height}"))
    for name, (width, height, frames) in clips.items():
        path = folder / f"{name}.mp4"
        _clip(path, width, height, frames)
        inputs.append(Input(name, "video", path, f"H.264 {width}x{height} {frames / 24:g} s"))
    if not tiny:  # issue 24's uploads: cheap on disk, costly to decode
        grey16_png(folder / "png16-40mp.png", 6320)
        inputs.append(
            Input("png16-40mp", "image", folder / "png16-40mp.png", "PNG 16-bit grey 6320x6320")
        )
        rgba_png(folder / "rgba-40mp.png", 6320)
        inputs.append(Input("rgba-40mp", "image", folder / "rgba-40mp.png", "PNG RGBA 6320x6320"))
        line_png(folder / "png-1x40m.png", 40_000_000)
        inputs.append(Input("png-1x40m", "image", folder / "png-1x40m.png", "PNG 40000000x1"))
        one_keyframe_clip(folder / "video-1key.mp4", 1920, 1080, 24, 24 * 120)
        inputs.append(Input("video-1key", "video", folder / "video-1key.mp4",
                            "H.264 1920x1080 120 s, one keyframe", full=False))  # fmt: skip
    return inputs


def _production_card(model_type: str, folder: Path) -> None:
    """Raise the smoke card's input size to the task package's production default."""
    from wb_common import ModelCard

    card = ModelCard.read(folder)
    extra = dict(card.extra)
    if model_type == "classification":
        from cls_train.config import Config

        size = [Config().img_size] * 2
    elif model_type == "segmentation":
        from seg_train.config import Config

        size = [Config().img_size] * 2
    elif model_type == "detection":
        from det_train.config import Config

        size = [Config().imgsz] * 2
        extra.update(imgsz=Config().imgsz, conf=Config().conf)
    else:
        from video_train.config import Config

        cfg = Config()
        size = [cfg.num_frames, cfg.img_size, cfg.img_size]
        extra.update(clip_duration=cfg.clip_duration)
    dataclasses.replace(card, input_size=size, extra=extra).write(folder)


def build_models(types: list[str], root: Path, tiny: bool = False) -> dict[str, Path]:
    """The viewer tests' models (conftest.py's builders), one artifact folder per type."""
    os.environ.setdefault("YOLO_OFFLINE", "1")  # what conftest's yolo_env fixture sets
    os.environ.setdefault("YOLO_CONFIG_DIR", str(root / "yolo-config"))
    os.environ.setdefault("YOLO_VERBOSE", "False")
    root.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(TESTS))
    import conftest

    builders = {
        "classification": lambda folder: conftest._cls_artifact(folder)[0],
        "segmentation": conftest._seg_artifact,
        "detection": conftest._det_artifact,
        "video-classification": conftest._video_artifact,
    }
    folders = {}
    for model_type in types:
        with contextlib.redirect_stdout(sys.stderr):  # training logs stay off the table
            folders[model_type] = builders[model_type](root)
        if not tiny:
            _production_card(model_type, folders[model_type])
    return folders


def measure(decoder: str, item: Input, folder: Path | None) -> dict:
    folder_arg = str(folder) if folder is not None else "-"
    proc = subprocess.run(
        [sys.executable, "-c", CASE, decoder, item.kind, str(item.path), folder_arg],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{decoder} {item.name} {folder_arg} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verdict(mb: float, budget_mb: float) -> str:
    return "PASS" if mb <= budget_mb else "FAIL"


def median_run(decoder: str, item: Input, folder: Path | None, repeats: int) -> dict:
    runs = sorted((measure(decoder, item, folder) for _ in range(repeats)), key=lambda r: r["mb"])
    return runs[len(runs) // 2]


def cases(inputs: list[Input], types: list[str], decode_only: bool) -> list[tuple[Input, str]]:
    """(input, model type or DECODE_ONLY): images for the image models, videos for video's."""
    pairs = []
    for item in inputs:
        if decode_only:
            pairs.append((item, DECODE_ONLY))
        for model_type in types:
            fits = (model_type == "video-classification") == (item.kind == "video")
            # the 40 MP inputs bound the image pipelines; issue 24's only cost decoding
            if fits and item.name not in ("jpeg-12mp", *ATTACKS):
                pairs.append((item, model_type))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the median is shown")
    parser.add_argument("--types", nargs="+", choices=TYPES, default=list(TYPES))
    parser.add_argument(
        "--budget-mb",
        type=float,
        default=BUDGET_MB,
        help="most MB one accepted upload may add (issue 17: ~300)",
    )
    parser.add_argument("--inputs", nargs="+", help="only these inputs (names as in the table)")
    parser.add_argument("--no-decode-only", action="store_true", help="only the model rows")
    parser.add_argument("--no-full", action="store_true", help="skip the old decoder's column")
    parser.add_argument("--tiny", action="store_true", help="tiny inputs, smoke-size cards")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "inputs").mkdir()
        inputs = make_inputs(root / "inputs", tiny=args.tiny)
        inputs = [i for i in inputs if args.inputs is None or i.name in args.inputs]
        types = [t for t in TYPES if t in args.types]
        folders = build_models(types, root / "models", tiny=args.tiny)
        decoders = ("viewer",) if args.no_full else ("viewer", "full")
        print(
            f"budget: {args.budget_mb:g} MB per accepted upload; load average "
            f"{load_before[0]:.1f} (1 min) at the start"
        )
        print(
            f"{'input':<12} {'handled by':<21} {'viewer':>9} {'full':>9} {'time':>7} "
            f"{'budget':<7} output"
        )
        for item, model_type in cases(inputs, types, not args.no_decode_only):
            folder = None if model_type == DECODE_ONLY else folders[model_type]
            got = {
                d: median_run(d, item, folder, args.repeats)
                for d in decoders
                if d == "viewer" or item.full
            }
            view = got["viewer"]
            row = {
                "input": item.name,
                "label": item.label,
                "file_mb": round(item.file_mb, 2),
                "model_type": model_type,
                "viewer_mb": round(view["mb"], 1),
                "viewer_s": round(view["s"], 2),
                "full_mb": round(got["full"]["mb"], 1) if "full" in got else None,
                "full_s": round(got["full"]["s"], 2) if "full" in got else None,
                "loaded_mb": round(view["base_mb"], 1),
                "out": view["out"],
                "refused": view["refused"],
                "summary": view["summary"],
                "verdict": verdict(view["mb"], args.budget_mb),
            }
            rows.append(row)
            full = f"{row['full_mb']:>6.0f} MB" if row["full_mb"] is not None else f"{'-':>9}"
            shown = (
                "refused: " + view["refused"].split(" — ")[-1] if view["refused"] else view["out"]
            )
            print(
                f"{item.name:<12} {model_type:<21} {row['viewer_mb']:>6.0f} MB {full} "
                f"{row['viewer_s']:>6.2f}s {row['verdict']:<7} {shown}",
                flush=True,
            )
    load_after = os.getloadavg()
    failed = [r for r in rows if r["verdict"] == "FAIL"]
    print(
        f"load average {load_after[0]:.1f} (1 min) at the end; "
        f"{len(rows) - len(failed)}/{len(rows)} rows within {args.budget_mb:g} MB: "
        f"{'FAIL' if failed else 'PASS'}"
    )
    if args.json:
        args.json.write_text(json.dumps({
            "budget_mb": args.budget_mb, "repeats": args.repeats, "tiny": args.tiny,
            "load_average": {"start": list(load_before), "end": list(load_after)},
            "rows": rows,
        }, indent=2))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
