"""The shared range checks behind every package's check_config.

uv run --all-packages pytest packages/wb-common/tests/test_checks.py
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from wb_common import checks


def test_one_of_names_the_field_in_words_and_lists_the_choices():
    cfg = SimpleNamespace(class_mapping="quad")
    assert checks.one_of(cfg, "class_mapping", ("trimap", "binary"), called="클래스 매핑") == (
        "알 수 없는 클래스 매핑입니다 — unknown class mapping 'quad': choose one of trimap, binary."
    )
    assert checks.one_of(cfg, "class_mapping", ("quad",), called="클래스 매핑") is None


def test_not_positive_catches_zero_negative_and_nan_in_order():
    assert checks.not_positive(SimpleNamespace(lr=0.1, clip=1.0), "lr", "clip") is None
    assert checks.not_positive(SimpleNamespace(lr=0.0, clip=-1.0), "lr", "clip") == (
        "lr은(는) 양수여야 합니다 — lr must be a positive number, got 0.0."
    )
    assert "got nan" in checks.not_positive(SimpleNamespace(lr=math.nan), "lr")


def test_too_small_skips_unset_fields_and_reads_its_minimum():
    cfg = SimpleNamespace(epochs=3, max_train_samples=None, img_size=16)
    assert checks.too_small(cfg, "epochs", "max_train_samples") is None
    assert checks.too_small(SimpleNamespace(epochs=0), "epochs") == (
        "epochs은(는) 1 이상이어야 합니다 — epochs must be at least 1, got 0."
    )
    assert checks.too_small(cfg, "img_size", minimum=32) == (
        "img_size은(는) 32 이상이어야 합니다 — img_size must be at least 32, got 16."
    )


def test_negative_allows_zero():
    assert checks.negative(SimpleNamespace(weight_decay=0.0), "weight_decay") is None
    assert checks.negative(SimpleNamespace(weight_decay=-0.1), "weight_decay") == (
        "weight_decay은(는) 음수일 수 없습니다 — weight_decay must not be negative, got -0.1."
    )
