"""Faster per-object steps give the values of the code they replaced, on every object of a real DDSM crop: the
lattice convex hull behind the rectangle and Feret columns against Qhull (reference kept in
``reference_rectangle_feret.py``), for square and non-square pixels, and the label centroids against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from reference_rectangle_feret import rectangle_and_feret_qhull
from scipy import ndimage

from calcification.core.features import measure_calcifications
from calcification.core.features.pixel_hull import pixel_corner_hull
from calcification.core.io import read_mammogram
from calcification.core.segmentation.result import label_centroids

_CROSS = ndimage.generate_binary_structure(2, 1)


@pytest.fixture(scope="module")
def ddsm_objects(ddsm_cases):
    """A 450 x 450 crop of a real DDSM mammogram and its bright spots (white top-hat): hundreds of objects of every
    shape from one pixel to long branching ones."""
    pixels = read_mammogram(ddsm_cases[0]["lcc"], spacing_mm=(0.05, 0.05)).pixels[2500:2950, 300:750]
    tophat = ndimage.white_tophat(pixels, size=(9, 9))
    labels, count = ndimage.label(tophat > np.percentile(tophat, 97), structure=np.ones((3, 3), bool))
    assert count > 200
    return pixels.astype(np.float64), labels.astype(np.int32)


def _reference(labels: np.ndarray, spacing) -> np.ndarray:
    rows = []
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        near = tuple(slice(max(s.start - 2, 0), min(s.stop + 2, n)) for s, n in zip(box, labels.shape, strict=True))
        obj = labels[near] == label
        rows.append(rectangle_and_feret_qhull(obj & ~ndimage.binary_erosion(obj, _CROSS), spacing))
    return np.asarray(rows)


@pytest.mark.parametrize("spacing", [(0.05, 0.05), (0.1, 0.05)])
def test_rectangle_and_feret_columns_equal_the_qhull_values(ddsm_objects, spacing):
    pixels, labels = ddsm_objects
    measured = measure_calcifications(pixels, labels, spacing)
    expected = _reference(labels, spacing)
    got = np.stack([measured.rect_long_mm, measured.rect_short_mm, measured.feret_max_mm], axis=1)
    np.testing.assert_array_equal(got, expected)  # identical, not merely close


def test_hull_of_a_single_pixel_and_of_an_l_shape():
    np.testing.assert_array_equal(pixel_corner_hull([5], [7]), [[13, 9], [15, 9], [15, 11], [13, 11]])
    rows, cols = [0, 1, 2, 2, 2], [0, 0, 0, 1, 2]  # an L: the hull skips the inner corner and collinear corners
    assert pixel_corner_hull(rows, cols).tolist() == [[-1, -1], [1, -1], [5, 3], [5, 5], [-1, 5]]


def test_label_centroids_equal_scipy_center_of_mass(ddsm_objects):
    _, labels = ddsm_objects
    labels = np.where(labels == 5, 0, labels)  # an absent label in the middle gives NaN, as scipy does
    count = int(labels.max())
    with np.errstate(invalid="ignore"):
        expected = ndimage.center_of_mass(np.ones(labels.shape, np.uint8), labels, np.arange(1, count + 1))
    np.testing.assert_array_equal(label_centroids(labels, count), np.asarray(expected))
