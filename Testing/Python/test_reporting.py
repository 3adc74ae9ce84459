"""The HTML report and its pictures: self-contained, escaped, atomic, with outlines and cluster boxes drawn."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

from calcification.core.rendering.overlay import OUTLINE_RGB
from calcification.core.reporting.cluster_pictures import (
    CLUSTER_BOX_RGB,
    close_up_geometry,
    cluster_close_up,
)
from calcification.core.reporting.html_report import (
    ReportContent,
    ReportTable,
    render_html_report,
    table_from_rows,
    write_html_report,
)
from calcification.core.reporting.number_format import MISSING, format_for_people
from calcification.core.reporting.report_figures import overview_picture, png_data_uri


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


def test_overview_draws_outlines_and_the_numbered_cluster_box_at_the_reduced_scale(image):
    pixels, labels = image
    rgb = overview_picture(pixels, labels, None, cluster_boxes=[(90, 90, 120, 120)], max_size_px=200, numbers=[7])
    assert rgb.shape == (200, 150, 3)  # reduced by 2
    box_pixels = np.all(rgb == CLUSTER_BOX_RGB, axis=2)
    # The box frames rows/columns 45-60 from outside (2 px line), and its number tag sits above it.
    assert box_pixels[43:63, 43].all() and box_pixels[43:63, 62].all() and not box_pixels[46:59, 46:59].any()
    tag = box_pixels[:43, 40:80]
    assert tag.sum() > 50  # the filled tag ...
    white = np.all(rgb[:43, 40:80] > 200, axis=2)  # white, not magenta (green 60)
    assert white.sum() > 5  # ... with the number written in white on it
    assert np.all(rgb == OUTLINE_RGB, axis=2).any()


def test_close_ups_share_one_magnification_with_a_one_millimetre_bar_and_thin_outlines(image):
    pixels, labels = image
    boxes = [(98, 98, 112, 110), (99, 101, 101, 103)]  # a cluster and a much smaller one
    geometry = close_up_geometry(boxes, (0.1, 0.1))
    assert geometry.field_px == (60, 60) and geometry.zoom == 7  # 6 mm at 0.1 mm, magnified to 400 px or more
    first, second = (cluster_close_up(pixels, labels, box, n, (0.1, 0.1), geometry) for n, box in enumerate(boxes, 1))
    assert first.shape == second.shape == (420, 420, 3)
    # 1 mm = 10 pixels = 70 screen pixels: the white bar near the bottom left is that long.
    bar = np.all(first[-12, :81] == 255, axis=1)  # the "1 mm" text starts right of column 81
    assert 68 <= bar.sum() <= 72
    # Never reduced, and never under 400 px (issue 27: 240 px close-ups of 0.05 mm films hid the calcifications):
    # a 50 mm cluster at 0.1 mm is shown at native resolution, a 20 mm field at 0.07 mm doubled to 572 px.
    assert close_up_geometry([(0, 0, 499, 499)], (0.1, 0.1)).zoom == 1
    wide = close_up_geometry([(0, 0, 256, 256)], (0.07, 0.07))
    assert wide.zoom == 2 and min(wide.field_px) * wide.zoom >= 400
    # Outlines are one screen pixel outside each calcification: the 3 x 3 spot (21 x 21 on screen) keeps its inside.
    outline = np.all(first == OUTLINE_RGB, axis=2)
    rows, cols = np.nonzero(outline)
    assert (
        outline.any()
        and not np.all(
            first[rows.min() + 2 : rows.min() + 12, cols.min() + 2 : cols.min() + 12] == OUTLINE_RGB, axis=2
        ).any()
    )
    assert np.all(first[5:15, 5:15] == CLUSTER_BOX_RGB, axis=2).any()  # the number tag


def test_numbers_are_formatted_for_people():
    assert format_for_people(13230.4, "grey") == "13230" and format_for_people(1.323e4) == "13230.00"
    assert format_for_people(0.0912345, "mm²") == "0.09" and format_for_people(0.004567, "mm²") == "0.0046"
    assert format_for_people(float("nan")) == MISSING == format_for_people(None)
    assert (
        format_for_people(3) == "3" and format_for_people(1.0) == "1.00" and format_for_people("grouped") == "grouped"
    )
    assert "e" not in format_for_people(1e-7) + format_for_people(1e12)


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
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert page.count("<script") == 1 and "<script src" not in page  # only the page's own few lines
    assert "73%" in page and "adaboost &amp; calibrated" in page
    assert ">0.09<" in page and "Trained on synthetic mammograms only" in page
    assert 'title="id &lt;1&gt;"' in page and "No rows." in page
    assert "http" not in page.lower().replace("https://", "")  # nothing fetched from elsewhere
    path = write_html_report(content, tmp_path / "case.report.html")
    assert path.read_text(encoding="utf-8") == page
    assert [p.name for p in tmp_path.iterdir()] == ["case.report.html"]


def test_page_without_a_classifier_says_so():
    page = render_html_report(ReportContent(title="case"))
    assert "No classifier was applied." in page and "<img" not in page


def test_objects_too_small_to_have_a_shape_show_a_dash_and_no_cluster_shows_a_dash():
    from calcification.core.analysis import analyze_mask
    from calcification.core.analysis.report_content import SHAPE_COLUMNS, build_report_content

    pixels = np.full((60, 60), 1000.0, np.float32)
    mask = np.zeros((60, 60), bool)
    mask[10, 10] = True  # one pixel: roundness would read 1, a perfect circle
    mask[30:34, 30:36] = True  # 4 x 6 pixels: a shape
    pixels[mask] = 3000.0
    analysis = analyze_mask(pixels, mask, (0.1, 0.1))
    table = next(t for t in build_report_content("c", pixels, analysis).tables if t.title == "Calcification table")
    rows = {row[table.columns.index("area_mm2")]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    tiny, shaped = rows[min(rows)], rows[max(rows)]
    assert all(tiny[c] is None for c in SHAPE_COLUMNS) and all(shaped[c] is not None for c in SHAPE_COLUMNS)
    assert tiny["cluster_id"] is None  # in no cluster: a dash, not -1
    page = render_html_report(build_report_content("c", pixels, analysis))
    assert page.count(f">{MISSING}<") >= len(SHAPE_COLUMNS) + 2
