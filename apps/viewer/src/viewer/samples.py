"""The inputs shipped with the app: the deploy's smoke test and the UI's "try a sample" button.

    python -m viewer.samples      # regenerates samples/sample.png and samples/sample.mp4

Both are drawn here, not downloaded, so they carry no licence question and exist on an air-gapped
machine: a red disc on grey noise (the smoke classifier's `circle-red` class), and the same disc
moving across 48 frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from wb_common import ModelCard

from viewer.uploads import Clip, read_clip, read_image

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLE_IMAGE = SAMPLES_DIR / "sample.png"
SAMPLE_VIDEO = SAMPLES_DIR / "sample.mp4"
VIDEO_FPS = 24


def _frame(size: int, centre: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    pixels = rng.integers(60, 140, size=(size, size, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:size, :size]
    disc = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 < (size * 0.22) ** 2
    pixels[disc] = (220, 40, 40)
    return pixels


def make_image(size: int = 128) -> Image.Image:
    return Image.fromarray(_frame(size, (size / 2, size / 2), np.random.default_rng(0)))


def make_video_frames(size: int = 128, n: int = 48) -> np.ndarray:
    rng = np.random.default_rng(1)
    xs = np.linspace(size * 0.3, size * 0.7, n)
    return np.stack([_frame(size, (x, size / 2), rng) for x in xs])


def write_video(frames: np.ndarray, path: Path, fps: int = VIDEO_FPS) -> None:
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"  # what browsers play
        for pixels in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())  # flush: without it the last frames are lost


def load_sample(card: ModelCard) -> Image.Image | Clip:
    """The shipped sample for the card's model type, decoded exactly like an upload."""
    if card.model_type == "video-classification":
        return read_clip(SAMPLE_VIDEO.read_bytes(), card)
    return read_image(SAMPLE_IMAGE.read_bytes())


def main() -> None:
    SAMPLES_DIR.mkdir(exist_ok=True)
    make_image().save(SAMPLE_IMAGE, optimize=True)
    write_video(make_video_frames(), SAMPLE_VIDEO)
    print(f"wrote {SAMPLE_IMAGE} and {SAMPLE_VIDEO}")


if __name__ == "__main__":
    main()
