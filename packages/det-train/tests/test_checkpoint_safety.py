"""`--resume` reads Ultralytics' last.pt with weights_only=True: a planted pickle never runs.

uv run --all-packages pytest packages/det-train/tests/test_checkpoint_safety.py -q
"""

from __future__ import annotations

import pathlib

import pytest
import torch
from det_train.checkpoint import LAST_CHECKPOINT, resume_point
from wb_common.checkpoint import ResumeError, save_run_id


class Planted:
    """Unpickling this calls `Path.touch(marker)`: a stand-in for any code a pickle can run."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def test_a_checkpoint_carrying_a_pickle_that_runs_code_is_refused(tmp_path):
    """Before: `torch_load(last, weights_only=False)` ran the pickle (the marker appeared) and
    resumed from it."""
    out = tmp_path / "out"
    save_run_id(out, "abcd1234")
    last = out / LAST_CHECKPOINT
    last.parent.mkdir(parents=True)
    marker = tmp_path / "ran.txt"
    torch.save({"epoch": 1, "ema": Planted(marker)}, last)
    with pytest.raises(ResumeError, match="weights_only") as caught:
        resume_point(out)
    assert not marker.exists()
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(last.as_posix()))


def test_ultralytics_own_checkpoint_still_loads(smoke_run):
    """The smoke training's real last.pt (stripped when it finished) loads under weights_only:
    resume_point gets to read its epoch and says the training is done."""
    with pytest.raises(ResumeError, match="already finished"):
        resume_point(smoke_run.cfg.output_dir)
