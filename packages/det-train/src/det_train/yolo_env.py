"""Ultralytics, set up so that it never stalls offline and never changes a user's settings.

Three things Ultralytics does on its own (checked with 8.4.190, see docs/facts.md):
- It reads `YOLO_CONFIG_DIR` once, at import, and keeps `settings.json` there; anything written
  to it sticks for every later run on the machine. We point it at a folder of our own (unless
  the user chose one) and never call `settings.update`.
- It checks GitHub for `Arial.ttf` before drawing any plot, even offline. We copy a font that
  ships with matplotlib (an Ultralytics dependency) to where it looks first.
- It checks PyPI for a newer version and sends usage events when it believes it is online.
  `YOLO_OFFLINE=1` turns both off and makes a failed download give up after the first try;
  downloads themselves (COCO128, yolov8n.pt) are still attempted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path

FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")  # the second for non-ASCII class names


def private_config_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "det-train" / "ultralytics"


def set_ultralytics_environment() -> None:
    """Set Ultralytics' environment variables (a value the user set wins) and place the font."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(private_config_dir()))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    with contextlib.suppress(OSError):  # an unwritable folder: train() tries again, loudly
        ensure_font()


def _ultralytics_config_dir() -> Path:
    """Where Ultralytics looks for fonts: its own answer once imported, else the same rule."""
    if utils := sys.modules.get("ultralytics.utils"):
        return Path(utils.USER_CONFIG_DIR)
    return Path(os.environ["YOLO_CONFIG_DIR"]).expanduser() / "Ultralytics"


def ensure_font() -> Path:
    """Copy matplotlib's DejaVu Sans to Ultralytics' font names, so no plot waits for GitHub."""
    matplotlib = importlib.util.find_spec("matplotlib")  # located, not imported: import is slow
    source = Path(matplotlib.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    config_dir = _ultralytics_config_dir()
    for name in FONT_NAMES:
        target = config_dir / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return config_dir / FONT_NAMES[0]
