"""The synthetic twin, YOLO labels, and what happens where downloads fail (offline, no hang).

uv run --package det-train pytest packages/det-train/tests/test_data.py
"""

from __future__ import annotations

import pytest
from det_train.data import (
    SYNTHETIC_CLASSES,
    DataError,
    download_coco128,
    download_voc,
    label_path,
    list_images,
    read_boxes,
    write_synthetic_dataset,
)
from wb_testing.fixtures import no_backoff


def test_synthetic_dataset_is_yolo_format_and_deterministic(tmp_path):
    first = write_synthetic_dataset(tmp_path / "a", n_train=6, n_val=2, size=64, seed=3)
    second = write_synthetic_dataset(tmp_path / "b", n_train=6, n_val=2, size=64, seed=3)
    assert first.read_text().startswith(f"path: {(tmp_path / 'a').resolve()}")
    images = list_images(tmp_path / "a" / "images")
    assert len(images) == 8
    for image in images:
        twin = tmp_path / "b" / image.relative_to(tmp_path / "a")
        assert image.read_bytes() == twin.read_bytes()
        assert label_path(image).read_text() == label_path(twin).read_text()
        for line in label_path(image).read_text().split("\n")[:-1]:
            class_id, *xywh = line.split()
            assert 0 <= int(class_id) < len(SYNTHETIC_CLASSES)
            assert all(0.0 < float(v) < 1.0 for v in xywh)
    assert second.exists()


def test_label_path_and_pixel_boxes(tmp_path):
    image = tmp_path / "images" / "val" / "x.png"
    assert label_path(image) == tmp_path / "labels" / "val" / "x.txt"
    label_path(image).parent.mkdir(parents=True)
    label_path(image).write_text("2 0.5 0.25 0.5 0.5\n")
    (box,) = read_boxes(image, width=200, height=100)
    assert box.class_id == 2
    assert box.xyxy == pytest.approx((50.0, 0.0, 150.0, 50.0))


def test_voc_already_on_disk_needs_no_network(offline_wandb, tmp_path, monkeypatch):
    """An air-gapped machine with VOC copied in: no reachability check stands in the way."""
    import ultralytics.data.utils

    checked = []
    monkeypatch.setattr(ultralytics.data.utils, "check_det_dataset", checked.append)
    (tmp_path / "datasets" / "VOC" / "images").mkdir(parents=True)
    assert download_voc(tmp_path / "datasets") == tmp_path / "datasets" / "VOC.yaml"
    assert checked == [str(tmp_path / "datasets" / "VOC.yaml")]


@pytest.mark.parametrize("dns", ["no DNS", "DNS answers"])
def test_coco128_offline_fails_fast_with_one_sentence(offline_wandb, tmp_path, monkeypatch, dns):
    """The network is cut by a dead proxy. Where DNS still answers (a corporate network, a CI
    runner), Ultralytics thinks it is online and retries with 35 s of backoff: the download must
    give up at once, without sleeping, in both cases."""
    import ultralytics.utils.downloads

    monkeypatch.setattr(ultralytics.utils.downloads, "is_online", lambda: dns == "DNS answers")
    no_backoff(monkeypatch)
    with pytest.raises(DataError, match="use --smoke") as err:
        download_coco128(tmp_path / "datasets")
    with pytest.raises(DataError, match="use --smoke"):
        download_voc(tmp_path / "datasets")
    assert "\n" not in str(err.value)
