"""The HTML report as a radiologist sees it: rendered by headless Chromium on a 1400 px wide laptop screen, and
checked by where things land on the page (element boxes), not by the HTML source.

Chromium is Debian's ``chromium`` package (``make test`` installs it) driven by the ``playwright`` package with
``executable_path``, so nothing downloads a browser. Without it the tests fail, saying how to install it, so a missing
browser cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from calcification.core.reporting.html_report import write_html_report
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.workflows.analysis_workflow import analyze_mammogram

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The flags Chromium needs as root in a container, and none of its own network traffic.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1400, "height": 900}
#: What the report page of the fixture was made from, beyond the analysis it yields.
SHOWN: dict = {}


def _browser_or_fail():
    missing = not os.path.exists(CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = True
    if missing:
        pytest.fail("Chromium and the playwright package are needed: `make system-packages` and `make install`")
    return sync_playwright


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    """The report of a synthetic mammogram with two clusters, analysed with the shipped (synthetic-only) classifier,
    open in Chromium at 1400 x 900."""
    from calcification.core.analysis.report_content import build_report_content

    sync_playwright = _browser_or_fail()
    case = generate_case(SynthesisConfig(shape=(512, 448)), seed=9100, index=2)
    analysis, malignancy, breast = analyze_mammogram(case.mammogram, case.mask)
    assert analysis.cluster_count >= 2 and malignancy is not None and malignancy.warning
    content = build_report_content(
        "case",
        case.mammogram.pixels,
        analysis,
        malignancy,
        breast,
        "prounext (model pro_unext_synthetic)",
        ("The segmentation model was trained on synthetic mammograms only.",),
    )
    path = write_html_report(content, tmp_path_factory.mktemp("report") / "case.report.html")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            SHOWN["breast"] = breast
            yield page, analysis
        finally:
            browser.close()


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


def test_probability_facts_and_legend_sit_beside_a_large_mammogram(report_page):
    page, _ = report_page
    image = _box(page, "#overview")
    assert image["height"] >= 800  # large enough to read on a laptop
    for selector in (".probability", "table.facts", ".legend"):
        box = _box(page, selector)
        assert box["x"] >= image["x"] + image["width"], f"{selector} is not to the right of the mammogram"
        assert box["y"] < image["y"] + image["height"] and box["y"] + box["height"] > image["y"], (
            f"{selector} is not beside the mammogram"
        )
        assert box["x"] + box["width"] <= LAPTOP["width"]


def test_the_synthetic_warning_outweighs_the_probability(report_page):
    page, _ = report_page

    def size(selector: str) -> float:
        return float(page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    warning, number, title = _box(page, ".warn.strong"), _box(page, ".prob"), _box(page, "h1")
    assert warning["y"] < number["y"]  # read first
    assert size(".prob") <= size(".warn.strong") + 2 < size("h1") + 2
    assert number["height"] < title["height"] * 1.5
    assert "calibration" in page.locator(".probability .note").inner_text()  # the meaning, on one line under the bar


def test_close_ups_are_numbered_in_order_and_match_the_cluster_table(report_page):
    page, analysis = report_page
    captions = page.locator(".crops figcaption").all_inner_texts()
    assert [c.split(":")[0] for c in captions] == [f"Cluster {i}" for i in range(1, analysis.cluster_count + 1)]
    first_column = page.locator("table#table-1 tbody tr td:first-child").all_inner_texts()
    assert first_column == [str(i) for i in range(1, analysis.cluster_count + 1)]
    sizes = {
        (round(b["width"]), round(b["height"]))
        for b in (img.bounding_box() for img in page.locator(".crops img").all())
    }
    assert len(sizes) == 1  # one magnification for all


def test_no_table_is_wider_than_the_page_and_extra_columns_are_one_click_away(report_page):
    page, _ = report_page
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    for wrap in page.locator(".table-wrap").all():
        box = wrap.bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"]
    calcifications = page.locator("table#table-2")
    visible = lambda: sum(h.is_visible() for h in calcifications.locator("th").all())  # noqa: E731
    shown = visible()
    assert 6 <= shown < calcifications.locator("th").count()
    page.locator("h2:has-text('Calcification table') + p.toggle input").check()
    assert visible() == calcifications.locator("th").count()
    page.locator("h2:has-text('Calcification table') + p.toggle input").uncheck()
    assert visible() == shown


def test_columns_sort_by_number_on_click(report_page):
    page, _ = report_page
    header = page.locator("table#table-2 th", has_text="area (mm²)")
    column = header.evaluate("h => h.cellIndex") + 1
    header.click()
    cells = page.locator(f"table#table-2 tbody tr td:nth-child({column})")
    values = [float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.v)")]
    assert values == sorted(values) and values[0] < values[-1]
    header.click()
    values = [float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.v)")]
    assert values == sorted(values, reverse=True)


def test_headings_are_unique_and_numbers_are_for_people(report_page):
    page, _ = report_page
    headings = page.locator("h1, h2").all_inner_texts()
    assert len(headings) == len(set(headings))
    text = page.locator("body").inner_text()
    assert "e+0" not in text and "e-0" not in text
    descriptions = page.locator("table#table-3 td.text").all()
    assert descriptions and all(d.evaluate("e => getComputedStyle(e).textAlign") == "left" for d in descriptions)
    names = page.locator("table#table-3 tbody td:first-child").all()  # feature names read left-aligned too
    assert names and all(n.evaluate("e => getComputedStyle(e).textAlign") == "left" for n in names)
    assert "mm2" not in text and "area_mm2" not in " ".join(d.inner_text() for d in descriptions)


def test_clicking_the_mammogram_opens_it_at_full_size(report_page):
    """Full size means one image pixel per screen pixel (issue 27: the "full size" view was a reduced copy stretched
    to twice the page's height), of the same part of the image as the page shows."""
    from calcification.core.analysis.report_content import breast_crop_of

    page, analysis = report_page
    assert "at full size, one image pixel per screen pixel" in page.locator(".overview figcaption").inner_text()
    page.locator("#overview").click()
    page.wait_for_function("document.querySelector('#zoom img').naturalWidth > 0")
    zoomed = _box(page, "#zoom img")
    natural = page.locator("#zoom img").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    rows, cols = breast_crop_of(analysis, SHOWN["breast"])
    assert natural == [cols.stop - cols.start, rows.stop - rows.start]
    assert (round(zoomed["width"]), round(zoomed["height"])) == tuple(natural)
    page.keyboard.press("Escape")
    assert not page.locator("#zoom").is_visible()


def test_close_ups_are_at_least_400_pixels_and_never_reduced(report_page):
    page, _ = report_page
    for picture in page.locator(".crops img").all():
        shown = picture.bounding_box()
        natural = picture.evaluate("i => [i.naturalWidth, i.naturalHeight]")
        assert min(shown["width"], shown["height"]) >= 400 and [shown["width"], shown["height"]] == natural
    for figure in page.locator(".crops figure").all():  # each caption wraps under its own picture
        assert figure.locator("figcaption").bounding_box()["width"] <= figure.locator("img").bounding_box()["width"]


def test_the_page_fetches_nothing(report_page):
    page, _ = report_page
    resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(name.startswith("data:") for name in resources)
    assert np.isfinite(float(page.locator(".prob").inner_text().rstrip("%")))
