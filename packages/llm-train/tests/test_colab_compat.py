"""llm-train on the transformers Colab ships (5.15) as well as the locked one (5.2x).

    uv run --all-packages pytest packages/llm-train/tests/test_colab_compat.py

The Colab twin (tests/colab) runs notebook 05 on Colab's versions for real; this test pins the
one name that differs, so a change here fails in seconds instead of in the twin.
"""

from __future__ import annotations

import dataclasses
import warnings

from llm_train.train import checkpointing_flag
from trl import SFTConfig


def test_checkpointing_flag_is_a_field_sftconfig_knows(tmp_path):
    flag = checkpointing_flag(True)
    assert set(flag) <= {field.name for field in dataclasses.fields(SFTConfig)}
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # no deprecated alias on a new transformers
        config = SFTConfig(output_dir=str(tmp_path), bf16=False, fp16=False, **flag)
    assert getattr(config, next(iter(flag))) is True
