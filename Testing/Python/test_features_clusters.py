"""Calcification clusters (core.features.clusters): dilation by a 1.088 mm square, more than 5 per domain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.features import (
    DistributionShape,
    attach_cluster_ids,
    find_clusters,
    measure_calcifications,
)


def _dots(shape: tuple[int, int], centres: list[tuple[int, int]], size: int = 1) -> np.ndarray:
    """Instance map with one size x size dot per centre (labels 1.. in the given order)."""
    labels = np.zeros(shape, np.int32)
    for label, (row, col) in enumerate(centres, start=1):
        labels[row : row + size, col : col + size] = label
    return labels


def _grid(origin: tuple[int, int], rows: int, cols: int, pitch_px: int) -> list[tuple[int, int]]:
    return [(origin[0] + i * pitch_px, origin[1] + j * pitch_px) for i in range(rows) for j in range(cols)]


def test_six_dots_within_one_mm_form_one_cluster_five_do_not():
    # 0.068 mm pixels: the element is the paper's 16 x 16 pixels; dots 8 pixels (0.54 mm) apart, 2 x 3 grid.
    six = _dots((100, 100), _grid((40, 40), 2, 3, 8), size=2)
    result = find_clusters(six, (0.068, 0.068))
    assert result.element_px == (16, 16)
    assert result.count == 1 and result.clusters[0].count == 6
    assert result.calcification_cluster_ids.tolist() == [1] * 6
    five = _dots((100, 100), _grid((40, 40), 1, 5, 8), size=2)
    assert find_clusters(five, (0.068, 0.068)).count == 0
    assert find_clusters(five, (0.068, 0.068)).calcification_cluster_ids.tolist() == [-1] * 5
    assert find_clusters(five, (0.068, 0.068), min_calcifications=5).count == 1


def test_two_groups_ten_mm_apart_are_two_clusters():
    spacing = 0.1  # element 1.088 mm -> 11 pixels
    group = _grid((20, 20), 2, 3, 5)
    far = [(row, col + 100) for row, col in group]  # 100 pixels = 10 mm to the right
    lonely = [(80, 60)]
    labels = _dots((120, 180), group + far + lonely)
    result = find_clusters(labels, (spacing, spacing))
    assert result.count == 2
    assert result.calcification_cluster_ids.tolist() == [1] * 6 + [2] * 6 + [-1]
    assert set(np.unique(result.cluster_labels).tolist()) == {0, 1, 2}
    assert result.cluster_labels[labels == 13].tolist() == [0]
    assert [c.member_labels for c in result.clusters] == [tuple(range(1, 7)), tuple(range(7, 13))]
    assert result.clusters[1].centroid_x_mm - result.clusters[0].centroid_x_mm == pytest.approx(10.0)


def test_domain_area_density_centroid_and_spread_are_exact():
    # 3 x 3 single-pixel grid, pitch 10 px at 0.1 mm; 11 px squares overlap into one 31 x 31 pixel domain.
    labels = _dots((80, 80), _grid((20, 30), 3, 3, 10))
    (cluster,) = find_clusters(labels, (0.1, 0.1)).clusters
    assert cluster.area_mm2 == pytest.approx(31 * 31 * 0.01)
    assert cluster.calcifications_per_cm2 == pytest.approx(9 / (9.61 / 100))
    assert (cluster.centroid_row_px, cluster.centroid_col_px) == (30.0, 40.0)
    assert (cluster.centroid_x_mm, cluster.centroid_y_mm) == (pytest.approx(4.0), pytest.approx(3.0))
    assert cluster.spread_mm == pytest.approx(1.0 * math.sqrt(4 / 3))  # RMS radius of a 3 x 3 grid of pitch 1 mm
    assert cluster.linearity == pytest.approx(0.0, abs=1e-9)
    assert cluster.shape is DistributionShape.GROUPED


def test_a_line_of_dots_is_linear():
    labels = _dots((60, 200), [(30, 20 + 9 * i) for i in range(8)], size=2)
    (cluster,) = find_clusters(labels, (0.1, 0.1)).clusters
    assert cluster.linearity == pytest.approx(1.0)
    assert cluster.shape is DistributionShape.LINEAR
    assert find_clusters(labels, (0.1, 0.1)).as_rows()[0]["shape"] == "linear/segmental"


def test_element_is_converted_per_axis_for_anisotropic_pixels():
    spacing = (0.1, 0.05)  # element: 11 rows x 22 columns
    along_columns = _dots((60, 200), [(30, 20 + 15 * i) for i in range(6)])  # 0.75 mm apart: linked
    along_rows = _dots((200, 60), [(20 + 15 * i, 30) for i in range(6)])  # 1.5 mm apart: not linked
    assert find_clusters(along_columns, spacing).element_px == (11, 22)
    assert find_clusters(along_columns, spacing).count == 1
    assert find_clusters(along_rows, spacing).count == 0


def test_cluster_ids_are_attached_to_the_measurements():
    labels = _dots((80, 120), _grid((10, 10), 2, 3, 6) + [(70, 110)], size=2)
    image = 100.0 + 50.0 * (labels > 0)
    measurements = measure_calcifications(image, labels, (0.07, 0.07))
    clusters = find_clusters(labels, (0.07, 0.07))
    attached = attach_cluster_ids(measurements, clusters)
    assert attached.cluster_id.tolist() == [1] * 6 + [-1]
    assert measurements.cluster_id.tolist() == [-1] * 7  # the original is left as it was
    other = find_clusters(labels[:, :100], (0.07, 0.07))
    with pytest.raises(InputError):
        attach_cluster_ids(measurements, other)


def test_no_calcification_gives_no_cluster():
    result = find_clusters(np.zeros((30, 40), np.uint16), (0.07, 0.07))
    assert result.count == 0 and result.calcification_cluster_ids.shape == (0,)
    assert result.cluster_labels.shape == (30, 40) and not result.cluster_labels.any()


@pytest.mark.parametrize(
    "labels, kwargs",
    [
        (np.zeros((10, 10)), {}),  # float labels
        (np.zeros((2, 10, 10), np.int32), {}),  # 3D
        (np.zeros((10, 10), np.int32) - 1, {}),
        (np.zeros((10, 10), np.int32), {"element_mm": 0.0}),
        (np.zeros((10, 10), np.int32), {"element_mm": float("nan")}),
        (np.zeros((10, 10), np.int32), {"min_calcifications": 0}),
        (np.zeros((10, 10), np.int32), {"min_calcifications": 2.5}),
        (np.zeros((10, 10), np.int32), {"spacing_mm": (0.1, -0.1)}),
    ],
)
def test_bad_input_is_refused(labels, kwargs):
    arguments = {"spacing_mm": (0.1, 0.1), **kwargs}
    with pytest.raises(InputError):
        find_clusters(labels, **arguments)
