"""Test-only helpers for this repository's tests; no runtime package imports or depends on them.

- `wb_testing.fixtures`: an isolated offline W&B, the smoke training a task's tests share.
- `wb_testing.api_doubles`: test doubles of the W&B calls that need a server (`wandb.Api`, ...).
- `wb_testing.interrupt`: `kill -9` after a checkpoint, resume, and what the run files must hold.
"""
