"""The notebook's demo presets: the live trials train at the lr the sweep gives them.

uv run --package det-train pytest packages/det-train/tests/test_config.py
"""

from __future__ import annotations

from types import SimpleNamespace

from det_train.config import Config, demo_config, demo_trial_config, smoke_config
from ultralytics.engine.trainer import BaseTrainer

COCO128_BATCHES = 8  # 128 images at batch 16: Ultralytics' iterations per epoch on COCO128


def warmup_share(cfg: Config) -> float:
    """The share of a run's iterations the installed Ultralytics spends warming up."""
    trainer = SimpleNamespace(
        args=SimpleNamespace(warmup_epochs=cfg.warmup_epochs), epochs=cfg.epochs
    )
    warmup = BaseTrainer._get_warmup_iterations(trainer, COCO128_BATCHES)
    return warmup / (cfg.epochs * COCO128_BATCHES)


def test_demo_trials_are_not_all_warm_up():
    """lr0 is what the sweep compares: a trial that only ramps towards it compares nothing."""
    demo = demo_config(Config())
    trial = demo_trial_config(demo)
    for cfg in (demo, trial):
        assert cfg.epochs > cfg.warmup_epochs, (cfg.epochs, cfg.warmup_epochs)
        assert warmup_share(cfg) <= 1 / 3, (cfg.epochs, cfg.warmup_epochs)
    assert Config().warmup_epochs == 3.0  # the full run keeps Ultralytics' default


def test_a_warm_up_set_by_hand_stays_in_the_demo():
    assert demo_config(Config(warmup_epochs=0.5)).warmup_epochs == 0.5
    assert demo_trial_config(smoke_config(Config())).warmup_epochs == 0.0  # smoke: none at all
