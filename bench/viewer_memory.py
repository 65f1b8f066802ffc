"""Peak memory of decoding one upload in the viewer: decoded at served size vs decoded in full.

    .venv/bin/python bench/viewer_memory.py            # ~1 min on 2 CPU cores

Each case runs in a fresh Python process (numpy + Pillow + PyAV imported first, so the baseline
is the same), decodes one generated file and reports the growth of its peak RSS over the RSS
before decoding (Linux: the peak, VmHWM, is reset through /proc/self/clear_refs first, so the
imports' own transient peak does not hide it), and the decode time:

- `viewer`: `viewer.uploads.read_image` / `read_video` — JPEG `draft` (the decoder scales by
  1/2..1/8 while decoding), MAX_SERVED_SIDE, video frames scaled by FFmpeg when picked;
- `full`: what the viewer did before: `Image.open(...).load()` then `.convert("RGB")`, and the
  16 picked video frames (2 s at 24 fps) kept as full-size decoded frames until the end.

The inputs: a 40 MP JPEG (7680 x 5200, the largest the pixel budget admits; noise, so it does not
compress to nothing), a 12 MP phone-size JPEG, and a 1080p 10 s H.264 clip.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CASE = r"""
import io, json, sys, time
import numpy as np, av
from PIL import Image
def kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
data = open(sys.argv[2], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak RSS to the current RSS
base = kb("VmRSS")
start = time.perf_counter()
if sys.argv[1] == "viewer-image":
    from viewer.uploads import read_image
    out = read_image(data).size
elif sys.argv[1] == "full-image":
    image = Image.open(io.BytesIO(data)); image.load(); out = image.convert("RGB").size
elif sys.argv[1] == "viewer-video":
    from viewer.uploads import read_video
    out = read_video(data, 16, 2.0, (112, 112)).frames.shape
else:  # full-video: the viewer before: the 16 picked frames kept at full size, scaled at the end
    with av.open(io.BytesIO(data)) as c:
        frames = [f for i, f in enumerate(c.decode(video=0)) if i % 3 == 0][:16]
        small = [f.reformat(width=112, height=112, format="rgb24").to_ndarray() for f in frames]
        out = np.stack(small).shape
seconds = time.perf_counter() - start
peak = kb("VmHWM")
print(json.dumps({"mb": (peak - base) / 1024, "s": seconds, "out": list(out)}))
"""


def make_inputs(folder: Path) -> dict[str, Path]:
    import av
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = {}
    for name, (width, height) in {"jpeg-40mp": (7680, 5200), "jpeg-12mp": (4000, 3000)}.items():
        small = rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR)
        paths[name] = folder / f"{name}.jpg"
        image.save(paths[name], "JPEG", quality=85)
    paths["video-1080p"] = folder / "clip.mp4"
    with av.open(str(paths["video-1080p"]), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        for i in range(240):
            pixels = np.full((1080, 1920, 3), (i * 3) % 255, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    return paths


def measure(case: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CASE, case, str(path)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp))
        print(f"{'input':<12} {'decoder':<7} {'peak RSS growth':>16} {'time':>8}  output")
        for name, path in inputs.items():
            kind = "video" if name.startswith("video") else "image"
            size_mb = path.stat().st_size / 1e6
            for decoder in ("viewer", "full"):
                runs = sorted(
                    (measure(f"{decoder}-{kind}", path) for _ in range(args.repeats)),
                    key=lambda r: r["mb"],
                )
                mid = runs[len(runs) // 2]
                print(f"{name:<12} {decoder:<7} {mid['mb']:>13.0f} MB {mid['s']:>7.2f}s  "
                      f"{mid['out']} ({size_mb:.1f} MB file)")  # fmt: skip


if __name__ == "__main__":
    main()
