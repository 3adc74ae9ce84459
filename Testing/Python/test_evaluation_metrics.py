"""Segmentation evaluation on small arrays with analytic answers: pixel metrics and their empty conventions, the
Marasinou et al. 2023 localisation rule (0.35 mm or IoU 0.3), one-to-one greedy matching, FROC, partial AUC, the
bootstrap over images and the PNG figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from calcification.core.errors import InputError
from calcification.core.evaluation import (
    EvaluationSettings,
    ScoreRule,
    bootstrap_pixel_metrics,
    evaluate_segmentations,
    froc_curve,
    froc_from_scores,
    match_objects,
    partial_auc,
    pixel_counts,
    pixel_metrics,
    pooled_counts,
    sensitivity_at,
)
from calcification.core.evaluation.evaluation_plots import plot_froc, plot_per_image_dice


def square(shape, top, left, size, value=1):
    image = np.zeros(shape, dtype=np.int32)
    image[top : top + size, left : left + size] = value
    return image


# --- pixel metrics -----------------------------------------------------------------------------------------------


def test_dice_iou_of_a_shifted_square():
    truth = square((12, 12), 2, 2, 4)  # 16 px
    prediction = square((12, 12), 3, 2, 4) > 0  # shifted one row: 12 px overlap, 4 FP, 4 FN
    metrics = pixel_metrics(truth, prediction)
    assert metrics["dice"] == pytest.approx(24 / 32)
    assert metrics["iou"] == pytest.approx(12 / 20)
    assert metrics["recall"] == pytest.approx(12 / 16)
    assert metrics["precision"] == pytest.approx(12 / 16)
    assert metrics["specificity"] == pytest.approx((144 - 20) / (144 - 16))


def test_specificity_is_measured_inside_the_region_only():
    truth = np.zeros((10, 10), dtype=bool)
    truth[1:3, 1:3] = True  # 4 px, inside the left half
    prediction = truth.copy()
    prediction[6, 1:3] = True  # 2 false positives inside the region
    prediction[6, 7:10] = True  # 3 false positives outside it
    region = np.zeros((10, 10), dtype=bool)
    region[:, :5] = True
    counts = pixel_counts(truth, prediction, region)
    assert (counts.tp, counts.fp, counts.fn, counts.tn, counts.fp_region) == (4, 5, 0, 44, 2)
    assert counts.metrics()["specificity"] == pytest.approx(44 / 46)
    assert pixel_metrics(truth, prediction)["specificity"] == pytest.approx(91 / 96)  # whole image
    assert counts.metrics()["precision"] == pytest.approx(4 / 9)  # FPs outside the region still count here


def test_empty_conventions_never_divide_by_zero():
    empty = np.zeros((5, 5), dtype=bool)
    spot = square((5, 5), 1, 1, 2) > 0
    assert pixel_metrics(empty, empty) == {"dice": 1.0, "iou": 1.0, "recall": 1.0, "specificity": 1.0, "precision": 1.0}
    false_alarm = pixel_metrics(empty, spot)
    assert (false_alarm["dice"], false_alarm["recall"], false_alarm["precision"]) == (0.0, 1.0, 0.0)
    missed = pixel_metrics(spot, empty)
    assert (missed["dice"], missed["recall"], missed["precision"]) == (0.0, 0.0, 1.0)
    assert pixel_metrics(spot, spot, region=np.zeros((5, 5), dtype=bool))["specificity"] == 1.0  # no negatives


def test_pooled_metrics_sum_counts_before_the_ratio():
    big_truth, small_truth = square((20, 20), 0, 0, 10), square((20, 20), 0, 0, 2)
    good = pixel_counts(big_truth, big_truth)  # 100 TP
    bad = pixel_counts(small_truth, np.zeros((20, 20), bool))  # 4 FN
    pooled = pooled_counts([good, bad])
    assert (pooled.tp, pooled.fn) == (100, 4)
    assert pooled.metrics()["dice"] == pytest.approx(200 / 204)  # not the per-image mean 0.5


def test_mismatched_shapes_are_refused():
    with pytest.raises(InputError, match="shape"):
        pixel_counts(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(InputError, match="2D"):
        pixel_counts(np.zeros((4, 4, 2)), np.zeros((4, 4, 2)))


# --- object matching ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset_rc", "hit"),
    [((3, 0), True), ((4, 0), False), ((0, 6), True), ((0, 8), False)],  # 0.3 mm hit, 0.4 mm miss, on each axis
)
def test_a_hit_by_centroid_distance_in_mm(offset_rc, hit):
    spacing = (0.1, 0.05)  # rows 0.1 mm, columns 0.05 mm: distances must use both
    truth = np.zeros((30, 30), dtype=np.int32)
    truth[10, 10] = 1
    prediction = np.zeros((30, 30), dtype=bool)
    prediction[10 + offset_rc[0], 10 + offset_rc[1]] = True
    matching = match_objects(truth, prediction, spacing)
    assert matching.n_truth == 1 and matching.n_predicted == 1
    assert matching.n_hit == int(hit)
    assert matching.matched_iou[0] == 0.0  # no shared pixel: a hit by distance alone


def test_a_hit_by_iou_when_centroids_are_far():
    truth = square((20, 20), 0, 0, 10)
    near_enough = square((20, 20), 0, 4, 10)  # 60 px overlap / 140 union = 0.43, centroids 0.4 mm apart
    too_little = square((20, 20), 0, 6, 10)  # 40 / 160 = 0.25, centroids 0.6 mm apart
    hit = match_objects(truth, near_enough, (0.1, 0.1))
    assert hit.n_hit == 1 and hit.pair_ious[0] == pytest.approx(60 / 140)
    assert match_objects(truth, too_little, (0.1, 0.1)).n_hit == 0


def test_matching_is_one_to_one_and_greedy_by_score():
    truth = np.zeros((20, 20), dtype=np.int32)
    truth[10, 10] = 7  # any label value
    prediction = np.zeros((20, 20), dtype=np.int32)
    prediction[10, 11] = 1  # 0.1 mm away, lower score
    prediction[12, 10] = 2  # 0.2 mm away, higher score
    probability = np.zeros((20, 20))
    probability[10, 11], probability[12, 10] = 0.6, 0.9
    matching = match_objects(truth, prediction, (0.1, 0.1), probability)
    np.testing.assert_allclose(matching.scores, [0.6, 0.9])
    np.testing.assert_array_equal(matching.matched_truth, [-1, 0])  # the higher score takes it; the other is an FP
    assert matching.n_false_positive == 1


def test_a_prediction_takes_the_truth_it_overlaps_most():
    truth = square((20, 20), 0, 0, 4, value=1) + square((20, 20), 0, 4, 4, value=2)
    prediction = square((20, 20), 0, 3, 4) > 0  # 1 column on truth 1, 3 columns on truth 2
    matching = match_objects(truth, prediction, (0.1, 0.1))
    assert matching.matched_truth.tolist() == [1]
    assert matching.pair_ious[0] == pytest.approx(12 / 20)


def test_object_scores_mean_or_max_probability():
    prediction = np.zeros((6, 6), dtype=bool)
    prediction[2, 2:4] = True
    probability = np.zeros((6, 6))
    probability[2, 2], probability[2, 3] = 0.2, 0.8
    truth = np.zeros((6, 6), dtype=np.int32)
    assert match_objects(truth, prediction, (0.1, 0.1), probability).scores[0] == pytest.approx(0.5)
    assert match_objects(truth, prediction, (0.1, 0.1), probability, score_rule=ScoreRule.MAX).scores[0] == 0.8
    assert match_objects(truth, prediction, (0.1, 0.1)).scores[0] == 1.0  # no probability map


# --- FROC --------------------------------------------------------------------------------------------------------


def test_froc_of_a_constructed_example():
    curve = froc_from_scores(np.array([0.7, 0.9, 0.6, 0.8]), np.array([True, True, False, False]), 4, 2.0)
    np.testing.assert_allclose(curve.thresholds, [np.inf, 0.9, 0.8, 0.7, 0.6])
    np.testing.assert_allclose(curve.sensitivity, [0, 0.25, 0.25, 0.5, 0.5])
    np.testing.assert_allclose(curve.fp_per_cm2, [0, 0, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(sensitivity_at(curve, [0.0, 0.4, 0.5, 3.0]), [0.25, 0.25, 0.5, 0.5])
    assert partial_auc(curve) == pytest.approx(0.25 * 0.5 + 0.5 * 0.5)
    assert partial_auc(curve, max_fp_per_cm2=0.5) == pytest.approx(0.25)


def test_froc_keeps_tied_scores_together_and_is_monotone():
    rng = np.random.default_rng(3)
    scores = rng.choice([0.2, 0.5, 0.5, 0.9], size=40)
    hits = rng.random(40) < 0.4
    curve = froc_from_scores(scores, hits, int(hits.sum()) + 5, 3.0)
    assert curve.thresholds.size == 1 + np.unique(scores).size
    assert np.all(np.diff(curve.sensitivity) >= 0) and np.all(np.diff(curve.fp_per_cm2) >= 0)
    assert curve.sensitivity[-1] == pytest.approx(hits.sum() / (hits.sum() + 5))
    assert curve.fp_per_cm2[-1] == pytest.approx((~hits).sum() / 3.0)


def test_froc_pooled_over_images_and_perfect_detector():
    truth_a = square((50, 50), 5, 5, 3) + square((50, 50), 30, 30, 3, value=2)
    truth_b = square((50, 50), 20, 20, 4)
    region = np.ones((50, 50), dtype=bool)  # 50 x 50 px at 0.2 mm = 1 cm²
    matchings = [match_objects(t, t > 0, (0.2, 0.2)) for t in (truth_a, truth_b)]
    curve = froc_curve(matchings, [np.count_nonzero(region) * 0.04 / 100] * 2)
    assert curve.n_truth == 3 and curve.area_cm2 == pytest.approx(2.0)
    assert curve.sensitivity[-1] == 1.0 and curve.fp_per_cm2[-1] == 0.0
    assert partial_auc(curve) == pytest.approx(1.0)
    nothing = froc_curve([match_objects(truth_a, np.zeros((50, 50), bool), (0.2, 0.2))], [1.0])
    assert partial_auc(nothing) == 0.0


def test_froc_refuses_an_empty_region():
    with pytest.raises(InputError, match="empty"):
        froc_from_scores(np.array([0.5]), np.array([False]), 1, 0.0)


# --- bootstrap and the whole evaluation --------------------------------------------------------------------------


def _varied_images(count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        truth = square((40, 40), int(rng.integers(0, 30)), int(rng.integers(0, 30)), int(rng.integers(3, 8)))
        prediction = np.roll(truth, int(rng.integers(-2, 3)), axis=1) > 0
        yield truth, prediction, None, None


def test_bootstrap_interval_contains_the_pooled_value_and_is_reproducible():
    counts = [pixel_counts(t, p) for t, p, _, _ in _varied_images(12, seed=1)]
    intervals = bootstrap_pixel_metrics(counts, n_boot=300, seed=5)
    pooled = pooled_counts(counts).metrics()
    for name, interval in intervals.items():
        assert interval.value == pytest.approx(pooled[name])
        assert interval.low <= interval.value <= interval.high
    assert intervals["dice"].high > intervals["dice"].low  # images differ, so the interval has width
    assert bootstrap_pixel_metrics(counts, n_boot=300, seed=5) == intervals


def test_bootstrap_interval_is_degenerate_for_identical_images():
    truth, prediction, _, _ = next(_varied_images(1, seed=2))
    intervals = bootstrap_pixel_metrics([pixel_counts(truth, prediction)] * 8, n_boot=200)
    for interval in intervals.values():
        assert interval.low == interval.value == interval.high
    with pytest.raises(InputError, match="resamples"):
        bootstrap_pixel_metrics([pixel_counts(truth, prediction)], n_boot=0)


def test_evaluate_segmentations_rows_froc_and_json():
    settings = EvaluationSettings(n_boot=100)
    evaluation = evaluate_segmentations(_varied_images(5, seed=4), (0.1, 0.1), settings=settings)
    rows = evaluation.per_image
    assert evaluation.n_images == 5 and [r.name for r in rows] == [f"image_{i:03d}" for i in range(5)]
    expected = [pixel_metrics(t, p)["dice"] for t, p, _, _ in _varied_images(5, seed=4)]
    assert [r.dice for r in rows] == pytest.approx(expected)
    assert evaluation.froc.n_truth == 5 == sum(r.n_truth for r in rows)
    assert evaluation.object_recall.value == pytest.approx(sum(r.n_hit for r in rows) / 5)
    assert set(evaluation.sensitivity_at_fp) == {0.1, 0.3, 1.0}
    restored = json.loads(json.dumps(evaluation.to_dict()))
    assert restored["pooled"]["dice"]["value"] == pytest.approx(evaluation.pooled["dice"].value)
    with pytest.raises(InputError, match="No image"):
        evaluate_segmentations([], (0.1, 0.1))


# --- figures -----------------------------------------------------------------------------------------------------


def test_plots_write_valid_pngs(tmp_path):
    curve = froc_from_scores(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 3, 2.0)
    froc_path = plot_froc(curve, tmp_path / "froc.png")
    dice_path = plot_per_image_dice(["a", "b", "c"], [0.5, 0.9, 0.7], tmp_path / "dice.png")
    for path in (froc_path, dice_path):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            image.verify()
    with Image.open(froc_path) as image:
        assert image.size == (600, 450)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dice.png", "froc.png"]  # no temporary left
    with pytest.raises(InputError):
        plot_per_image_dice(["a"], [0.5, 0.6], tmp_path / "bad.png")
