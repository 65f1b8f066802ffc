"""Fixtures of wb-common's tests: the offline W&B sandbox and real run logs for queue folders."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wb_testing.fixtures import offline_wandb  # noqa: F401  (fixture)

_RECORD_SCRIPT = """
import sys, wandb
entity, project, run_id, out = sys.argv[1:]
wandb.init(mode="offline", dir=out, entity=entity or None, project=project, id=run_id).finish()
"""


@pytest.fixture(scope="session")
def run_record(tmp_path_factory):
    """Give a folder a real run log naming `entity/project/id`, as a trial's run folder has.

    `wb-demo sync` and `link_noted_model` replay only what the folder's own `.wandb` log records
    (pending.run_owner). The log comes from a real offline `wandb.init`, made once per path in a
    fresh process and copied into each folder that asks for it.
    """
    made: dict[str, Path] = {}

    def write(run_dir: Path, run_path: str) -> Path:
        if run_path not in made:
            out = tmp_path_factory.mktemp("run-record")
            env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
            env |= {"WANDB_SILENT": "true", "WANDB_MODE": "offline"}
            subprocess.run([sys.executable, "-c", _RECORD_SCRIPT, *run_path.split("/"), str(out)],
                           check=True, env=env, capture_output=True, timeout=120)  # fmt: skip
            # read after the process ended: wandb-core writes the log out when it shuts down
            (made[run_path],) = out.glob(f"wandb/offline-run-*/run-{run_path.split('/')[-1]}.wandb")
        run_dir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(made[run_path], run_dir / f"run-{run_path.split('/')[-1]}.wandb"))

    return write
