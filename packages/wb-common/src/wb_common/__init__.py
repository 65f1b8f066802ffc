"""W&B plumbing shared by every demo package: the only place that talks to W&B beyond run.log."""

from wb_common.artifacts import (
    link_to_registry,
    log_dataset_artifact,
    log_model_artifact,
)
from wb_common.card import ModelCard, ModelCardError
from wb_common.readback import RecordedRun, find_run_dirs, read_run
from wb_common.report import create_report, publish_report, report_spec
from wb_common.run import find_api_key, resolve_mode, start_run
from wb_common.sweep import SweepResult, Trial, run_sweep
from wb_common.tasks import TASKS, Task, project_name, registry_path

__all__ = [
    "TASKS",
    "ModelCard",
    "ModelCardError",
    "RecordedRun",
    "SweepResult",
    "Task",
    "Trial",
    "create_report",
    "find_api_key",
    "find_run_dirs",
    "link_to_registry",
    "log_dataset_artifact",
    "log_model_artifact",
    "project_name",
    "publish_report",
    "read_run",
    "registry_path",
    "report_spec",
    "resolve_mode",
    "run_sweep",
    "start_run",
]
