"""The report reads right (issue 27, item 7): the overview shows the breast, not the background and the film label;
close-ups tell the cluster's calcifications from the others; a cluster's caption area is its calcified area; one
numbering for calcifications and vascular ones; every picture embedded once."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from calcification.core.analysis import analyze_mask
from calcification.core.analysis.report_content import breast_crop_of, build_report_content
from calcification.core.analysis.result_tables import calcification_table
from calcification.core.rendering.overlay import OUTLINE_RGB, VASCULAR_RGB
from calcification.core.reporting.cluster_pictures import OTHER_CALCIFICATION_RGB, close_up_geometry, cluster_close_up
from calcification.core.reporting.html_report import render_html_report
from calcification.core.reporting.report_figures import palette_png_data_uri

SPACING = (0.1, 0.1)


def _decode(uri: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


@pytest.fixture(scope="module")
def film():
    """A 600 x 400 'film': a breast on the left third, a bright film label far outside it (top right), a cluster of
    seven calcifications, one calcification apart from it, and a vascular row."""
    pixels = np.full((600, 400), 100.0, np.float32)
    breast = np.zeros(pixels.shape, bool)
    breast[150:450, 0:130] = True
    pixels[breast] = 1000.0
    pixels[20:60, 300:380] = 4000.0  # the film label
    mask = np.zeros(pixels.shape, bool)
    for k in range(7):
        mask[300 + 3 * (k % 3) : 302 + 3 * (k % 3), 60 + 3 * k : 62 + 3 * k] = True  # 2 x 2, 1-2 px apart
    mask[300:302, 95:97] = True  # apart from the cluster (1.6 mm from its nearest member) but in its close-up
    vascular = np.zeros(pixels.shape, bool)
    vascular[200, 20:60:4] = True  # a row of ten single pixels on a vessel
    pixels[mask | vascular] = 3000.0
    analysis = analyze_mask(pixels, mask, SPACING, breast, vascular)
    assert analysis.cluster_count == 1 and analysis.calcification_count == 8 and analysis.vascular_count == 10
    return pixels, breast, analysis


def test_the_overview_shows_the_breast_not_the_background_and_the_label(film):
    pixels, breast, analysis = film
    rows, cols = breast_crop_of(analysis, breast)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (100, 500, 0, 180)  # breast + 5 mm (50 px) margin
    content = build_report_content("film", pixels, analysis, None, breast)
    overview = _decode(content.overview_uri)
    assert overview.shape[:2] == (400, 180)  # the crop, not the 600 x 400 film
    assert content.full_size_uri == "" and content.full_size_scale == 1.0  # shown whole: the click opens it as is
    assert rows.stop <= 20 or rows.start >= 60 or cols.stop <= 300  # the film label (rows 20-60, cols 300-380) is out


def test_every_picture_is_embedded_once(film):
    pixels, breast, analysis = film
    page = render_html_report(build_report_content("film", pixels, analysis, None, breast))
    uris = re.findall(r'src="(data:image/png;base64,[^"]+)"', page)
    # The overview (a film this small is its own full size, which the click shows) and one close-up.
    assert len(uris) == len(set(uris)) == 2
    assert "one image pixel per screen pixel" in page
    big = np.zeros((3000, 1200), np.float32)
    big[:600, :400] = pixels
    big_analysis = analyze_mask(big, np.pad(analysis.labels > 0, ((0, 2400), (0, 800))), SPACING)
    grown = np.pad(breast, ((0, 2400), (0, 800)))
    grown[600:2900, :130] = True  # a breast of 2,750 rows: reduced on the page, full size on a click
    page = render_html_report(build_report_content("film", big, big_analysis, None, grown))
    uris = re.findall(r'src="(data:image/png;base64,[^"]+)"', page)
    assert len(uris) == len(set(uris)) == 3 and "one image pixel per screen pixel" in page


def test_a_cluster_caption_gives_its_calcified_area_which_the_total_contains(film):
    pixels, breast, analysis = film
    content = build_report_content("film", pixels, analysis, None, breast)
    ((caption, _),) = content.cluster_crops
    calcified = float(re.search(r"calcified area ([0-9.]+) mm²", caption).group(1))
    total = float(dict(content.facts)["Total calcified area"].split()[0])
    assert calcified == pytest.approx(7 * 4 * 0.01) and calcified <= total
    region = analysis.clusters.clusters[0].area_mm2
    assert region > total and f"region of {region:.1f} mm²" in caption  # the larger one is named as the region


def test_close_ups_draw_calcifications_outside_the_cluster_in_their_own_colour(film):
    pixels, breast, analysis = film
    cluster = analysis.clusters.clusters[0]
    box = (299, 59, 307, 81)
    geometry = close_up_geometry([box], SPACING)
    picture = cluster_close_up(
        pixels,
        analysis.labels,
        box,
        1,
        SPACING,
        geometry,
        analysis.vascular_labels,
        member_labels=cluster.member_labels,
    )
    colours = {
        name: np.all(picture == rgb, axis=2) for name, rgb in (("own", OUTLINE_RGB), ("other", OTHER_CALCIFICATION_RGB))
    }
    assert colours["own"].any() and colours["other"].any()
    zoom, cols = geometry.zoom, np.nonzero(colours["other"])[1]
    field_col0 = (box[1] + box[3]) // 2 - geometry.field_px[1] // 2
    assert cols.min() // zoom + field_col0 >= 94  # the cyan ring is around the one calcification apart (col 95)
    assert not np.all(picture == VASCULAR_RGB, axis=2).any()  # the vascular row is outside this field


def test_vascular_calcifications_continue_the_numbering(film):
    _, _, analysis = film
    table = calcification_table(analysis)
    labels, kinds = list(table.columns["label"]), list(table.columns["kind"])
    assert labels == list(range(1, 19)) and kinds == ["calcification"] * 8 + ["vascular"] * 10


def test_palette_pictures_keep_their_colours_and_grey_levels_within_one_step():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (50, 60), dtype=np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    rgb[10, 10:20] = OUTLINE_RGB
    rgb[30, 5:9] = VASCULAR_RGB
    back = _decode(palette_png_data_uri(rgb)).astype(int)
    coloured = np.any(rgb != rgb[..., :1], axis=2)
    np.testing.assert_array_equal(back[coloured], rgb[coloured])
    assert np.abs(back[~coloured] - rgb[~coloured]).max() <= 1
