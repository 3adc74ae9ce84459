"""Two readers' masks compared: Dice, the per-calcification match list and the senior-reader rule (Tong et al.)."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.annotation.agreement import AgreementConfig, MatchStatus, compare_masks, dice_coefficient
from calcification.core.errors import InputError
from calcification.core.synthetic import SynthesisConfig, generate_case

SPACING = (0.07, 0.07)


@pytest.fixture(scope="module")
def case():
    return generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=5, index=0)


def test_a_mask_agrees_with_itself(case):
    report = compare_masks(case.mask, case.mask, SPACING)
    assert report.dice == 1.0 and not report.needs_senior_reader
    assert len(report.matches) == report.labels_a.max() > 0
    assert all(m.status is MatchStatus.AGREE and m.dice == 1.0 and m.distance_mm == 0.0 for m in report.matches)


def test_shifted_copy_flags_exactly_the_changed_objects(case):
    """Reader B: one calcification shifted by 2 pixels, one left out, one extra speck; all others identical."""
    labels = compare_masks(case.mask, case.mask, SPACING).labels_a
    moved, dropped = 1, 2
    reader_b = case.mask & ~np.isin(labels, [moved, dropped])
    reader_b |= np.roll(labels == moved, 2, axis=1)
    free = np.argwhere(~np.isin(np.arange(512), np.nonzero(case.mask.any(axis=0))[0]))[0, 0]
    reader_b[5:8, free] = True  # a speck only B marked, in a column with no calcification
    report = compare_masks(case.mask, reader_b, SPACING)
    flagged = {(m.label_a, m.status) for m in report.flagged}
    assert {(moved, MatchStatus.OUTLINE_DIFFERS), (dropped, MatchStatus.ONLY_A), (0, MatchStatus.ONLY_B)} == flagged
    shifted = next(m for m in report.matches if m.label_a == moved)
    assert shifted.distance_mm == pytest.approx(2 * 0.07)
    only_b = next(m for m in report.matches if m.status is MatchStatus.ONLY_B)
    assert only_b.area_b_mm2 == pytest.approx(3 * 0.07**2)
    assert report.dice < 1.0
    assert report.needs_senior_reader == (report.dice < 0.95)


def test_non_overlapping_shift_is_matched_by_centroid_distance():
    a = np.zeros((40, 40), bool)
    a[10:12, 10:12] = True
    b = np.roll(a, 3, axis=0)  # no overlap, centroids 0.21 mm apart
    report = compare_masks(a, b, SPACING)
    assert [m.status for m in report.matches] == [MatchStatus.OUTLINE_DIFFERS]
    assert report.matches[0].distance_mm == pytest.approx(0.21)
    far = compare_masks(a, b, SPACING, AgreementConfig(max_centroid_distance_mm=0.1))
    assert sorted(m.status.value for m in far.matches) == ["only_a", "only_b"]


def test_senior_reader_rule_at_the_threshold():
    a = np.zeros((20, 100), bool)
    a[5, :100] = True  # 100 pixels
    b = a.copy()
    b[5, :5] = False  # 95 pixels: Dice = 190 / 195 = 0.974
    assert not compare_masks(a, b, SPACING).needs_senior_reader
    b[5, :10] = False  # 90 pixels: Dice = 180 / 190 = 0.947
    report = compare_masks(a, b, SPACING)
    assert report.dice == pytest.approx(180 / 190) and report.needs_senior_reader


def test_empty_masks_agree_and_columns_have_one_row_per_object(case):
    empty = np.zeros((30, 30), bool)
    assert dice_coefficient(empty, empty) == 1.0
    assert compare_masks(empty, empty, SPACING).matches == ()
    columns = compare_masks(case.mask, case.mask, SPACING).columns()
    assert {len(v) for v in columns.values()} == {int(compare_masks(case.mask, case.mask, SPACING).labels_a.max())}
    assert set(columns["status"]) == {"agree"} and set(columns["flagged"]) == {0}


def test_masks_of_different_images_are_refused():
    with pytest.raises(InputError, match="same 2D image"):
        compare_masks(np.zeros((10, 10)), np.zeros((10, 11)), SPACING)
