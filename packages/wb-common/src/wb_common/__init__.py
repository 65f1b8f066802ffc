"""W&B plumbing shared by every demo package: the only place that talks to W&B beyond run.log."""

# Names load on first use (PEP 562): a CLI's config imports wb_common.tasks, and that must
# not pull in wandb, so every `--help` stays fast.
_HOMES = {
    "link_to_registry": "artifacts",
    "log_dataset_artifact": "artifacts",
    "log_model_artifact": "artifacts",
    "ModelCard": "card",
    "ModelCardError": "card",
    "RecordedRun": "readback",
    "find_run_dirs": "readback",
    "read_run": "readback",
    "create_report": "report",
    "publish_report": "report",
    "report_spec": "report",
    "find_api_key": "run",
    "resolve_mode": "run",
    "start_run": "run",
    "SweepResult": "sweep",
    "Trial": "sweep",
    "run_sweep": "sweep",
    "TASKS": "tasks",
    "Task": "tasks",
    "project_name": "tasks",
    "registry_path": "tasks",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"wb_common.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'wb_common' has no attribute {name!r}")
