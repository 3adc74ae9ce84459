"""The Hessian-DoG detector's per-candidate sums over labelled pixels only give scipy.ndimage's numbers to the last
bit (issue 31: the speed-up must not move any candidate's area, centroid or contrast)."""

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
