"""BI-RADS descriptors (issue 30): morphology from drawn shapes with known answers, distribution from placed centres,
the assessment from the published-figure table, and the headline rule."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from calcification.core.analysis import MalignancyResult, analyze_mask
from calcification.core.analysis.headline import SYNTHETIC_TRAINED_LABEL, choose_headline
from calcification.core.birads import Category, Distribution, Morphology, assess
from calcification.core.birads.distribution import call_diffuse, call_distribution, link_findings, measure_geometry
from calcification.core.birads.ppv_table import CATEGORY_RANGES, MORPHOLOGY_PPV, FigureKind
from calcification.core.classification import DEFAULT_CLASSIFIER_NAME, load_classifier

SPACING = (0.07, 0.07)


def _disc(image, mask, centre, radius_px, value, hollow=False):
    rows, cols = np.ogrid[: image.shape[0], : image.shape[1]]
    distance = np.hypot(rows - centre[0], cols - centre[1])
    inside = distance <= radius_px
    mask |= inside
    shell = inside & (distance >= 0.6 * radius_px) if hollow else inside
    image[shell] += value
    image[inside & ~shell] += 0.2 * value


def _analyse(image, mask, breast=None):
    return analyze_mask(image, mask, SPACING, breast)


def _background(shape=(700, 700), seed=0):
    return 100.0 + np.random.default_rng(seed).normal(0.0, 2.0, shape)


def test_a_group_of_small_uniform_round_specks_is_round_punctate_and_grouped_probably_benign():
    image, mask = _background(), np.zeros((700, 700), bool)
    rng = np.random.default_rng(1)
    for k in range(8):  # 0.35-0.5 mm specks within a 4 mm disc, bright
        angle, r = 2 * math.pi * k / 8, 20 + 10 * (k % 2)
        _disc(image, mask, (350 + r * math.sin(angle), 350 + r * math.cos(angle)), rng.uniform(2.5, 3.5), 60.0)
    finding = _analyse(image, mask).description.top
    assert finding.morphology.morphology == Morphology.ROUND
    assert finding.distribution.distribution == Distribution.GROUPED
    assert finding.assessment.category == Category.PROBABLY_BENIGN
    assert finding.headline().startswith("Round / punctate, grouped: BI-RADS 3 suggested (likelihood <= 2%")


def test_large_hollow_discs_are_rim_and_typically_benign():
    image, mask = _background(), np.zeros((700, 700), bool)
    for k, centre in enumerate([(150, 150), (150, 450), (450, 300), (600, 600)]):
        _disc(image, mask, centre, 14 + k, 80.0, hollow=True)  # about 2 mm across, lucent centre
    description = _analyse(image, mask).description
    assert set(description.morphology) == {Morphology.RIM}
    (finding,) = description.findings  # large benign forms are described even a few at a time
    assert finding.morphology.morphology == Morphology.RIM
    assert finding.assessment.category == Category.BENIGN
    assert "lucency" in finding.morphology.evidence


def _branching_casts(image, mask, centres):
    """Thin (2 px = 0.14 mm) casts about 1.5 mm long with a side branch, in one duct direction."""
    for row, col in centres:
        for step in range(22):
            image[row, col + step] += 60.0
            image[row + 1, col + step] += 60.0
            mask[row : row + 2, col + step] = True
        for step in range(8):
            mask[row - step, col + 11 + step] = True
            image[row - step, col + 11 + step] += 60.0


def test_thin_branching_casts_along_a_line_to_the_nipple_are_fine_linear_linear_category_5():
    image, mask = _background((400, 1500)), np.zeros((400, 1500), bool)
    _branching_casts(image, mask, [(200, 100 + 90 * k) for k in range(9)])  # 9 casts on 5 cm of one line
    breast = np.zeros((400, 1500), bool)
    breast[:, :1400] = True  # chest wall on the left, nipple on the right at the middle row
    breast[:60, 1200:] = breast[-60:, 1200:] = False
    description = _analyse(image, mask, breast).description
    finding = description.top
    assert finding.morphology.morphology == Morphology.FINE_LINEAR
    assert finding.distribution.distribution == Distribution.LINEAR
    assert finding.assessment.category == Category.HIGHLY_SUGGESTIVE
    assert "Liberman 1998" in finding.assessment.figure_text
    assert description.likelihood == pytest.approx(finding.assessment.likelihood)


def test_distribution_geometry_rules():
    rng = np.random.default_rng(3)
    nipple = np.array([100.0, 0.0])
    line = np.stack([np.linspace(0, 20, 10), rng.normal(0, 0.2, 10)], 1)
    assert call_distribution(measure_geometry(line, nipple)).distribution == Distribution.LINEAR
    angle = rng.uniform(0, 2 * math.pi, 12)
    group = np.stack([3 * np.cos(angle), 3 * np.sin(angle)], 1) * rng.uniform(0.2, 1, (12, 1))
    assert call_distribution(measure_geometry(group, nipple)).distribution == Distribution.GROUPED
    # a wedge: apex towards the nipple (at +x), opening away from it
    wedge_rng = np.random.default_rng(0)
    radius, spread = 30 * np.sqrt(wedge_rng.uniform(0, 1, 40)), wedge_rng.uniform(-0.3, 0.3, 40)
    wedge = np.stack([-radius * np.cos(spread), radius * np.sin(spread)], 1)
    call = call_distribution(measure_geometry(wedge, nipple))
    assert call.distribution == Distribution.SEGMENTAL, call.evidence
    # the same wedge turned across the nipple direction follows no duct: regional
    across = call_distribution(measure_geometry(wedge[:, ::-1], nipple))
    assert across.distribution == Distribution.REGIONAL, across.evidence
    scattered = rng.uniform(-60, 60, (15, 2))
    assert call_diffuse(measure_geometry(scattered, nipple)).distribution == Distribution.DIFFUSE
    assert call_diffuse(measure_geometry(scattered[:3], nipple)) is None


def test_findings_link_every_point_within_the_link_distance():
    points = np.array([[0.0, 0.0], [9.0, 0.0], [18.0, 0.0], [40.0, 0.0]])
    assert link_findings(points).tolist() == [0, 0, 0, 1]


def test_assessment_uses_the_published_figures_and_says_which_kind_they_are():
    pleomorphic = assess(Morphology.FINE_PLEOMORPHIC, Distribution.GROUPED)
    assert pleomorphic.category == Category.MODERATE_SUSPICION
    assert pleomorphic.likelihood == pytest.approx(0.29)
    assert "PPV about 29%, Bent 2010" in pleomorphic.figure_text
    segmental = assess(Morphology.FINE_PLEOMORPHIC, Distribution.SEGMENTAL)
    assert segmental.likelihood > pleomorphic.likelihood  # Liberman's segmental figure raises the odds
    assert segmental.category == Category.HIGH_SUSPICION
    assert assess(Morphology.AMORPHOUS, Distribution.DIFFUSE).category == Category.BENIGN
    assert assess(Morphology.VASCULAR, Distribution.LINEAR).category == Category.BENIGN
    assert assess(Morphology.COARSE_HETEROGENEOUS, Distribution.GROUPED).category == Category.LOW_SUSPICION
    benign = assess(Morphology.RIM, Distribution.REGIONAL)
    assert "category range" in benign.figure_text and "essentially 0%" in benign.figure_text
    assert MORPHOLOGY_PPV[Morphology.FINE_LINEAR].kind == FigureKind.STUDY
    assert all(f.kind == FigureKind.RANGE for f in CATEGORY_RANGES.values())
    with pytest.raises(TypeError):
        MORPHOLOGY_PPV[Morphology.AMORPHOUS] = None  # the table is frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        MORPHOLOGY_PPV[Morphology.AMORPHOUS].value = 0.5


def test_headline_is_the_descriptor_assessment_unless_the_classifier_was_trained_on_real_images():
    image, mask = _background(), np.zeros((700, 700), bool)
    for k in range(8):
        _disc(image, mask, (350 + 25 * math.sin(k), 350 + 25 * math.cos(k)), 3, 60.0)
    analysis = _analyse(image, mask)
    synthetic = load_classifier(DEFAULT_CLASSIFIER_NAME)
    assert synthetic.card.synthetic_training
    result = MalignancyResult(0.36, synthetic.card)
    headline = choose_headline(analysis.description, result)
    assert headline.descriptor_first and "BI-RADS" in headline.primary
    assert headline.secondary.startswith(SYNTHETIC_TRAINED_LABEL) and "36%" in headline.secondary
    real = MalignancyResult(0.36, dataclasses.replace(synthetic.card, synthetic_training=False))
    headline = choose_headline(analysis.description, real)
    assert not headline.descriptor_first and "36%" in headline.primary and "BI-RADS" in headline.secondary
    assert choose_headline(analysis.description, None).secondary == ""


def test_nipple_direction_also_from_a_breast_mask_that_leaves_out_the_image_edges():
    from calcification.core.birads.nipple import estimate_nipple_mm

    rows, cols = np.ogrid[:400, :300]
    breast = (rows - 200) ** 2 / 180**2 + cols**2 / 250**2 <= 1  # half ellipse on the left edge (chest wall)
    breast[:, :12] = breast[:12] = breast[-12:] = False  # the analysable mask's edge strip
    nipple = estimate_nipple_mm(breast, (0.1, 0.1))
    assert nipple[0] == pytest.approx(24.9, abs=0.2) and nipple[1] == pytest.approx(20.0, abs=0.2)
    assert estimate_nipple_mm(breast[:, ::-1], (0.1, 0.1))[0] == pytest.approx(4.9, abs=0.2)  # mirrored
    assert estimate_nipple_mm(np.ones((100, 100), bool), (0.1, 0.1)) is None  # a crop: no direction


def test_mlo_nipple_is_the_breast_point_farthest_from_the_pectoral_line():
    """A round breast (radius 30 mm, centred on the chest wall at y = 40 mm) and a pectoral muscle whose edge runs
    from (15, 20) mm to (0, 50) mm: the point farthest from that line is the centre plus 30 mm along its normal,
    (26.8, 53.4) mm. The farthest point from the chest-wall edge, (30, 40) mm, is 14 mm above it (the fault)."""
    from calcification.core.birads.nipple import estimate_nipple_mm

    y, x = np.mgrid[:800, :400] * 0.1
    breast = x**2 + (y - 40.0) ** 2 <= 30.0**2
    pectoral = breast & (y >= 20.0) & (y <= 50.0) & (x <= 15.0 - 0.5 * (y - 20.0))
    normal = np.array([30.0, 15.0]) / math.hypot(30.0, 15.0)
    expected = np.array([0.0, 40.0]) + 30.0 * normal
    nipple = estimate_nipple_mm(breast & ~pectoral, (0.1, 0.1), pectoral, lateral=True)
    assert np.linalg.norm(nipple - expected) < 1.5
    mirrored = estimate_nipple_mm((breast & ~pectoral)[:, ::-1], (0.1, 0.1), pectoral[:, ::-1], lateral=True)
    assert np.linalg.norm(mirrored - [39.9 - expected[0], expected[1]]) < 1.5
    # no muscle found on an MLO view: a line at the typical 25 degrees from the chest wall
    typical = np.array([0.0, 40.0]) + 30.0 * np.array([math.cos(math.radians(25)), math.sin(math.radians(25))])
    assert np.linalg.norm(estimate_nipple_mm(breast, (0.1, 0.1), None, lateral=True) - typical) < 1.5
    # a CC view keeps the point farthest from the chest-wall edge
    assert np.linalg.norm(estimate_nipple_mm(breast, (0.1, 0.1)) - [29.9, 40.0]) < 1.0


def test_report_leads_with_the_descriptor_suggestion_and_marks_the_synthetic_probability(tmp_path):
    from calcification.core.analysis.report_content import build_report_content
    from calcification.core.reporting.html_report import render_html_report

    image, mask = _background(), np.zeros((700, 700), bool)
    for k in range(8):  # evenly around a 25 px circle: eight separate round specks
        angle = 2 * math.pi * k / 8
        _disc(image, mask, (350 + 25 * math.sin(angle), 350 + 25 * math.cos(angle)), 3, 60.0)
    analysis = _analyse(image, mask)
    malignancy = MalignancyResult(0.36, load_classifier(DEFAULT_CLASSIFIER_NAME).card)
    page = render_html_report(build_report_content("case", image, analysis, malignancy))
    headline = analysis.description.headline()
    assert headline.startswith("Round / punctate, grouped: BI-RADS 3 suggested")
    side = page[page.index('<aside class="side">') :]
    assert side.index("BI-RADS 3 suggested") < side.index(SYNTHETIC_TRAINED_LABEL)  # the suggestion comes first
    assert 'class="prob secondary">36%' in page  # the synthetic-trained figure drawn small and grey
    assert "BI-RADS findings" in page and "Sources of the likelihood figures" in page and "Liberman 1998" in page
    assert "Research software: not a medical device" in page


def test_the_one_line_summary_follows_the_headline_rule():
    from calcification.core.image import Mammogram
    from calcification.logic.workflows.analysis_workflow import AnalysisRun

    image, mask = _background(), np.zeros((700, 700), bool)
    for k in range(8):
        angle = 2 * math.pi * k / 8
        _disc(image, mask, (350 + 25 * math.sin(angle), 350 + 25 * math.cos(angle)), 3, 60.0)
    analysis = _analyse(image, mask)
    card = load_classifier(DEFAULT_CLASSIFIER_NAME).card
    run = AnalysisRun("case", Mammogram(image, SPACING), mask, analysis, MalignancyResult(0.36, card), {})
    line = run.summary
    assert line.index("BI-RADS 3 suggested") < line.index("synthetic-trained probability of malignancy 0.36")
    assert run.result_text().splitlines()[0].startswith("Round / punctate, grouped: BI-RADS 3 suggested")
    real = dataclasses.replace(
        run, malignancy=MalignancyResult(0.36, dataclasses.replace(card, synthetic_training=False))
    )
    assert real.summary.index("probability of malignancy 0.36") < real.summary.index("BI-RADS 3 suggested")
