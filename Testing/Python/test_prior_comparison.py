"""Comparison with the prior exam: synthetic pairs with known truth, registration, matching and change status."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from calcification.core.analysis.image_analysis import analyze_mask
from calcification.core.comparison.change_status import ChangeStatus, ChangeThresholds, change_status
from calcification.core.comparison.exam_comparison import compare_analysed_exams
from calcification.core.comparison.findings import ExamFindings, GroupNumbers
from calcification.core.comparison.matching import compare_findings
from calcification.core.comparison.registration import RegistrationError, register_prior
from calcification.core.image import View
from calcification.core.synthetic import SynthesisConfig
from calcification.core.synthetic.pairs import TruthStatus, generate_pair

#: Small whole breasts (90 x 120 mm at 0.1 mm) keep each pair to a few seconds.
SMALL = SynthesisConfig(shape=(1200, 900), spacing_mm=0.1, view=View.CC)


@pytest.fixture(scope="module")
def pair():
    return generate_pair(SMALL, seed=5, index=0)


@pytest.fixture(scope="module")
def other_pair():
    return generate_pair(SMALL, seed=6, index=0)


@pytest.fixture(scope="module")
def registration(pair):
    return register_prior(
        pair.current.pixels,
        pair.current.spacing_mm,
        pair.current_breast,
        pair.prior.pixels,
        pair.prior.spacing_mm,
        pair.prior_breast,
    )


def _truth_analysis(mammogram, instances):
    return analyze_mask(mammogram.pixels, instances > 0, mammogram.spacing_mm)


def test_pair_is_reproducible_and_its_truth_is_consistent(pair):
    again = generate_pair(SMALL, seed=5, index=0)
    assert np.array_equal(again.prior.pixels, pair.prior.pixels)
    assert {c.status for c in pair.clusters} == set(TruthStatus)
    assert pair.prior.spacing_mm != pair.current.spacing_mm or pair.prior.shape == pair.current.shape
    # the true transform takes each calcification's prior position to its current one
    mapped = np.array([pair.transform.TransformPoint(tuple(p)) for p in pair.calcification_prior_mm])
    assert np.abs(mapped - pair.calcification_current_mm).max() < 1e-3
    for cluster in pair.clusters:
        assert set(cluster.prior_ids) <= set(np.unique(pair.prior_instances))
        assert set(cluster.current_ids) <= set(np.unique(pair.current_instances))
        if cluster.status is TruthStatus.RESOLVED:
            assert not np.isin(pair.current_instances, cluster.prior_ids).any()
        if cluster.status is TruthStatus.INCREASED:
            assert len(cluster.current_ids) > len(cluster.prior_ids) >= 6


def test_registration_error_at_calcifications_is_under_targets(pair, registration):
    estimate = registration.current_to_prior(pair.calcification_current_mm)
    error = np.hypot(*(estimate - pair.calcification_prior_mm).T)
    unregistered = np.hypot(*(pair.calcification_current_mm - pair.calcification_prior_mm).T)
    assert np.median(unregistered) > 1.0  # the pair really moved
    assert np.median(error) <= 1.0 and np.percentile(error, 95) <= 3.0
    assert np.median(error) < np.median(unregistered) / 3.0
    assert registration.acceptable
    # the inverse mapping brings prior positions back onto the current image
    back = registration.prior_to_current(pair.calcification_prior_mm)
    assert np.median(np.hypot(*(back - pair.calcification_current_mm).T)) <= 1.0


def test_registration_of_another_breast_is_refused(pair, other_pair):
    result = register_prior(
        pair.current.pixels,
        pair.current.spacing_mm,
        pair.current_breast,
        other_pair.prior.pixels,
        other_pair.prior.spacing_mm,
        other_pair.prior_breast,
    )
    assert not result.acceptable
    with pytest.raises(RegistrationError, match="well enough to call changes"):
        result.check_acceptable()


def _compare_drawn_masks(pair):
    """The comparison of a pair's two exams analysed from their drawn calcification masks (no segmenter)."""
    return compare_analysed_exams(
        pair.prior,
        _truth_analysis(pair.prior, pair.prior_instances),
        pair.prior_breast,
        pair.current,
        _truth_analysis(pair.current, pair.current_instances),
        pair.current_breast,
    )


def test_statuses_on_the_drawn_masks_match_the_truth(pair):
    comparison = _compare_drawn_masks(pair)
    called = sorted(c.status.value for c in comparison.changes)
    assert called == sorted(c.status.value for c in pair.clusters)
    stable = next(c for c in comparison.changes if c.status is ChangeStatus.STABLE)
    truth = next(c for c in pair.clusters if c.status is TruthStatus.STABLE)
    assert stable.current.count == stable.prior.count == len(truth.current_ids)
    assert np.hypot(*np.subtract(stable.current_centre_xy_mm, truth.current_centre_mm)) < 1.0


def test_no_new_cluster_on_a_pair_without_change():
    pair = generate_pair(SMALL, seed=7, index=1, no_change=True)
    assert all(c.status is TruthStatus.STABLE for c in pair.clusters)
    comparison = _compare_drawn_masks(pair)
    assert [c.status for c in comparison.changes] == [ChangeStatus.STABLE] * len(pair.clusters)


class _Identity:
    @staticmethod
    def prior_to_current(xy):
        return np.asarray(xy, float).reshape(-1, 2)

    current_to_prior = prior_to_current


def _findings(groups):
    """Findings from {cluster id: (n, origin)}; id 0 means unclustered calcifications on a 1 mm row."""
    xy, cluster = [], []
    for cluster_id, (n, origin) in groups.items():
        for i in range(n):
            xy.append((origin[0] + i * 1.0, origin[1]))
            cluster.append(cluster_id if cluster_id > 0 else -1)
    xy = np.array(xy, float).reshape(-1, 2)
    return ExamFindings(xy, np.full(len(xy), 0.05), np.array(cluster, np.int32), (0.1, 0.1))


def test_matching_tells_new_from_increased_and_resolved_from_decreased():
    prior = _findings({1: (8, (10, 10)), 2: (8, (50, 50)), 0: (4, (90, 90)), 3: (10, (130, 130))})
    current = _findings({1: (8, (10, 10)), 2: (4, (200, 200)), 3: (12, (90, 90)), 4: (5, (130, 130))})
    # current 3 sits on 4 unclustered prior calcifications; prior 3 has 5 left at its place, prior 2 none
    changes = compare_findings(prior, current, _Identity())
    by_current = {c.current_cluster_id: c for c in changes if c.current_cluster_id}
    assert by_current[1].status is ChangeStatus.STABLE and by_current[1].prior_cluster_id == 1
    assert by_current[2].status is ChangeStatus.NEW and by_current[2].prior is None
    assert by_current[3].status is ChangeStatus.INCREASED and by_current[3].prior.count == 4
    prior_only = {c.prior_cluster_id: c for c in changes if not c.current_cluster_id}
    assert prior_only[2].status is ChangeStatus.RESOLVED
    assert by_current[4].status is ChangeStatus.DECREASED and by_current[4].prior_cluster_id == 3


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((10, 4.0, 1.0), (11, 4.2, 1.05), ChangeStatus.STABLE),  # within repeat-measurement variation
        ((10, 4.0, 1.0), (13, 4.2, 1.6), ChangeStatus.STABLE),  # 3 more (23 %), area +38 %: repeat variation
        ((10, 4.0, 1.0), (17, 4.2, 1.1), ChangeStatus.INCREASED),  # 7 more calcifications, 41 %
        ((10, 4.0, 1.0), (10, 7.0, 1.0), ChangeStatus.INCREASED),  # extent 3 mm, 43 % larger
        ((17, 4.0, 1.0), (10, 4.0, 0.6), ChangeStatus.DECREASED),
        ((10, 4.0, 1.0), (17, 2.0, 1.0), ChangeStatus.STABLE),  # more but smaller: shape change, not growth
        ((2, 1.0, 0.1), (10, 4.0, 1.0), ChangeStatus.NEW),  # 2 < 3 calcifications before: none
        ((10, 4.0, 1.0), (1, 0.0, 0.1), ChangeStatus.RESOLVED),
    ],
)
def test_change_status_limits(before, after, expected):
    numbers = [GroupNumbers(n, extent, area, (0.0, 0.0)) for n, extent, area in (before, after)]
    assert change_status(*numbers, ChangeThresholds()) is expected


def test_prior_close_up_shows_the_same_tissue_at_the_same_magnification(pair, registration):
    from calcification.core.comparison.close_ups import paired_close_ups
    from calcification.core.comparison.matching import ClusterChange

    truth = next(c for c in pair.clusters if c.status is TruthStatus.STABLE)

    def close_ups(centre):
        change = ClusterChange(ChangeStatus.STABLE, 1, 1, None, None, centre, (0.0, 0.0))
        args = (pair.current.pixels, pair.current.spacing_mm, pair.prior.pixels, pair.prior.spacing_mm)
        return paired_close_ups(change, *args, registration)

    prior, current = close_ups(truth.current_centre_mm)
    assert prior.shape == current.shape == (240, 240, 3)
    assert tuple(prior[0, 0]) == (0x2C, 0xA0, 0x2C)  # framed in the status colour
    inner = (slice(8, -8), slice(8, -8), 0)

    def detail(rgb):  # the calcifications and fine texture, not the tissue's slow gradient
        grey = rgb[inner].astype(float)
        return (grey - ndimage.gaussian_filter(grey, 6.0)).ravel()

    same = np.corrcoef(detail(prior), detail(current))[0, 1]
    # the prior sampled without the registration (its own pixel grid, same mm) does not line up
    unregistered = registration.__class__(_identity_transform(), 1.0, 1.0, registration.settings, registration._inverse)
    change = ClusterChange(ChangeStatus.STABLE, 1, 1, None, None, truth.current_centre_mm, (0.0, 0.0))
    shifted, _ = paired_close_ups(
        change, pair.current.pixels, pair.current.spacing_mm, pair.prior.pixels, pair.prior.spacing_mm, unregistered
    )
    apart = np.corrcoef(detail(shifted), detail(current))[0, 1]
    assert same > 0.6 and same > apart + 0.3, (same, apart)  # measured 0.83 and 0.00


def _identity_transform():
    import SimpleITK as sitk

    return sitk.Transform(2, sitk.sitkIdentity)
