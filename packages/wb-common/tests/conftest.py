from wb_common.testing import offline_wandb  # noqa: F401  (fixture)
