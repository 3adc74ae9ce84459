"""The faster analysis path gives today's outputs: on a crop of the real DDSM demo mammogram, the verified engine's
segmentation and tables against PyTorch's, and the probability map copied out of the scene bundle against the one
written on its own."""

from __future__ import annotations

import nrrd
import numpy as np
import pytest
import tifffile

from calcification.core.analysis.image_analysis import analyze_mask
from calcification.core.analysis.result_tables import calcification_table, cluster_table, image_feature_table
from calcification.core.image import Mammogram
from calcification.core.io import read_mammogram
from calcification.core.segmentation import SegmenterChoice, segment_mammogram
from calcification.logic.mrml.scene_storage import save_volume
from calcification.logic.workflows.file_workflow import segment_into_scene, write_segmentation_files

SPACING = (0.05, 0.05)
#: 1200 x 1000 px of the left CC view of DDSM case 1-130 holding about 180 of its network detections at 0.05 mm.
CROP = (slice(2200, 3400), slice(100, 1100))


@pytest.fixture(scope="module")
def ddsm_crop(ddsm_cases) -> Mammogram:
    full = read_mammogram(ddsm_cases[0]["lcc"], spacing_mm=SPACING)
    return Mammogram(np.ascontiguousarray(full.pixels[CROP]), SPACING, full.laterality, full.view)


def _tables(mammogram: Mammogram, segmentation) -> list:
    vascular = None if segmentation.vascular_labels is None else segmentation.vascular_labels > 0
    analysis = analyze_mask(mammogram.pixels, segmentation.labels > 0, SPACING, segmentation.breast, vascular)
    return [table(analysis).rows() for table in (calcification_table, cluster_table, image_feature_table)]


def test_the_exported_engine_segments_and_measures_as_pytorch_does(ddsm_crop):
    today = segment_mammogram(ddsm_crop, SegmenterChoice("network", engine="pytorch"))
    new = segment_mammogram(ddsm_crop, SegmenterChoice("network", engine="auto"))
    objects_today, objects_new = int(today.labels.max()), int(new.labels.max())
    assert objects_today >= 100
    changed = int(((today.labels > 0) != (new.labels > 0)).sum())
    assert changed < 0.001 * int((today.labels > 0).sum())
    assert abs(objects_new - objects_today) <= 0.01 * objects_today
    np.testing.assert_allclose(new.details["probability"], today.details["probability"], atol=1e-3)
    if changed == 0 and np.array_equal(new.vascular_labels, today.vascular_labels):
        assert _tables(ddsm_crop, new) == _tables(ddsm_crop, today)


def test_the_probability_map_copied_from_the_bundle_is_the_one_written_on_its_own(ddsm_crop, tmp_path):
    image = tmp_path / "crop.tif"
    tifffile.imwrite(image, ddsm_crop.pixels.astype(np.uint16))
    segmented = segment_into_scene(image, "network", SPACING)
    (tmp_path / "out").mkdir()
    outputs = write_segmentation_files(segmented, tmp_path / "out", [])
    alone = save_volume(segmented.run.probability_node, tmp_path / "alone.nrrd")
    copied_pixels, copied_header = nrrd.read(str(outputs.probability_path))
    alone_pixels, alone_header = nrrd.read(str(alone))
    assert copied_header["encoding"] == "gzip" and copied_header["type"] == "float"
    assert {k: str(v) for k, v in copied_header.items()} == {k: str(v) for k, v in alone_header.items()}
    np.testing.assert_array_equal(copied_pixels, alone_pixels)
    assert float(copied_pixels.max()) > 0.5
