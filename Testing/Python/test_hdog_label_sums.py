"""The Hessian-DoG detector's shortcuts give the numbers of the whole-image computations to the last bit (issue 31:
the speed-up must not move any candidate): per-candidate sums over labelled pixels only, as scipy.ndimage's over
every pixel, and the Hessian condition computed on a blob's window, as on the whole image."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from calcification.core.detection.hdog import _label_sums


def test_label_sums_equal_scipys_sum_mean_and_centre_of_mass_bit_for_bit():
    rng = np.random.default_rng(7)
    image = rng.random((300, 200), dtype=np.float32) * 0.9 + 0.05
    labels, count = ndimage.label(ndimage.gaussian_filter(rng.random((300, 200)), 2) > 0.53)
    labels = labels.astype(np.int32)
    labels[labels == 5] = 0  # a label without pixels: NaN mean, as scipy gives
    index = np.arange(1, count + 1)
    pixels, sums = _label_sums(labels, count, image)
    np.testing.assert_array_equal(pixels, ndimage.sum_labels(np.ones_like(labels), labels, index))
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_array_equal(sums / pixels, ndimage.mean(image, labels, index))
        rows, cols = np.divmod(np.flatnonzero(labels), labels.shape[1])
        centres = (
            np.column_stack([_label_sums(labels, count, rows)[1], _label_sums(labels, count, cols)[1]])
            / pixels[:, None]
        )
        expected = np.asarray(ndimage.center_of_mass(np.ones_like(labels), labels, index)).reshape(-1, 2)
    np.testing.assert_array_equal(centres, expected)


def test_the_hessian_condition_of_a_window_is_the_whole_images_cut_to_it():
    from calcification.core.detection.hdog import _condition_in, _hessian_condition

    rng = np.random.default_rng(3)
    smoothed = ndimage.gaussian_filter(rng.random((120, 90)), 2).astype(np.float32)
    region = rng.random((120, 90)) > 0.1
    whole = _hessian_condition(smoothed, 0.3) & region
    assert 0 < whole.sum() < whole.size
    for r0, r1, c0, c1 in [(0, 15, 0, 12), (40, 61, 30, 47), (100, 120, 70, 90), (1, 3, 88, 90), (60, 62, 1, 2)]:
        window = (slice(r0, r1), slice(c0, c1))
        np.testing.assert_array_equal(_condition_in(window, smoothed, region, 0.3), whole[window])
