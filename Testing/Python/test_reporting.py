"""The HTML report and its pictures: self-contained, escaped, atomic, with outlines and cluster boxes drawn."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.rendering.overlay import OUTLINE_RGB
from calcification.core.reporting.html_report import (
    ReportContent,
    ReportTable,
    render_html_report,
    table_from_rows,
    write_html_report,
)
from calcification.core.reporting.report_figures import (
    CLUSTER_BOX_RGB,
    cluster_crop,
    overview_picture,
    png_data_uri,
)


@pytest.fixture
def image():
    pixels = np.full((400, 300), 1000.0, np.float32)
    labels = np.zeros((400, 300), np.int32)
    for k, (r, c) in enumerate([(100, 100), (104, 108), (110, 102)], start=1):
        pixels[r - 1 : r + 2, c - 1 : c + 2] = 3000.0
        labels[r - 1 : r + 2, c - 1 : c + 2] = k
    return pixels, labels


def _decode(uri: str) -> np.ndarray:
    from PIL import Image

    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_overview_draws_outlines_and_the_cluster_box_at_the_reduced_scale(image):
    pixels, labels = image
    rgb = overview_picture(pixels, labels, None, cluster_boxes=[(90, 90, 120, 120)], max_size_px=200)
    assert rgb.shape == (200, 150, 3)  # reduced by 2
    box_pixels = np.all(rgb == CLUSTER_BOX_RGB, axis=2)
    rows, cols = np.nonzero(box_pixels)
    assert (rows.min(), cols.min(), rows.max(), cols.max()) == (45, 45, 60, 60)
    assert np.all(rgb == OUTLINE_RGB, axis=2).any()


def test_cluster_crop_is_enlarged_and_keeps_the_margin(image):
    pixels, labels = image
    crop = cluster_crop(pixels, labels, (98, 98, 112, 110), spacing_mm=(0.1, 0.1), margin_mm=1.0, min_size_px=240)
    # 15 x 13 box + 10 px margin each side = 35 x 33, replicated 7 times to reach >= 240
    assert crop.shape == (35 * 7, 33 * 7, 3)
    assert np.all(crop == OUTLINE_RGB, axis=2).any()
    with pytest.raises(InputError):
        cluster_crop(pixels, labels[:-1], (0, 0, 5, 5), spacing_mm=(0.1, 0.1))


def test_png_data_uri_round_trips(image):
    rgb = overview_picture(*image, None, max_size_px=100)
    np.testing.assert_array_equal(_decode(png_data_uri(rgb)), rgb)


def test_page_is_self_contained_and_escapes_every_text(image, tmp_path):
    rgb = overview_picture(*image, None, max_size_px=100)
    table = table_from_rows("Calcifications", [{"label": 1, "area_mm2": 0.0912345}, {"label": 2, "area_mm2": 0.5}])
    content = ReportContent(
        title="<script>alert(1)</script>",
        probability=0.734,
        classifier_summary="adaboost & calibrated",
        facts=(("Calcifications", 3),),
        warnings=("Trained on synthetic mammograms only",),
        overview_uri=png_data_uri(rgb),
        cluster_crops=(("Cluster 1: 3 calcifications", png_data_uri(rgb)),),
        tables=(table, ReportTable("Clusters", ("cluster_id",), (), {"cluster_id": "id <1>"})),
    )
    page = render_html_report(content)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "73%" in page and "adaboost &amp; calibrated" in page
    assert "0.09123" in page and "Trained on synthetic mammograms only" in page
    assert 'title="id &lt;1&gt;"' in page and "No rows." in page
    assert "http" not in page.lower().replace("https://", "")  # nothing fetched from elsewhere
    path = write_html_report(content, tmp_path / "case.report.html")
    assert path.read_text(encoding="utf-8") == page
    assert [p.name for p in tmp_path.iterdir()] == ["case.report.html"]


def test_page_without_a_classifier_says_so():
    page = render_html_report(ReportContent(title="case"))
    assert "No classifier was applied." in page and "<img" not in page
