"""Per-calcification measurements (core.features.per_calcification): analytic answers on small arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.features import RING_8_MM, RING_32_MM, CalcificationMeasurements, measure_calcifications


def _disc(radius_px: int, size: int = 64) -> np.ndarray:
    rows, cols = np.mgrid[:size, :size] - size // 2
    return (rows**2 + cols**2 <= radius_px**2).astype(np.int32)


def _only(measurements: CalcificationMeasurements) -> dict:
    (row,) = measurements.as_rows()
    return row


@pytest.mark.parametrize("spacing", [0.05, 0.07, 0.1])
def test_disc_area_and_roundness(spacing):
    labels = _disc(10)
    image = labels * 500.0 + 100.0
    row = _only(measure_calcifications(image, labels, (spacing, spacing)))
    assert row["area_mm2"] == pytest.approx(math.pi * 100 * spacing**2, rel=0.05)
    assert 0.85 < row["roundness"] <= 1.0
    assert row["perimeter_mm"] == pytest.approx(2 * math.pi * 10 * spacing, rel=0.05)
    assert row["aspect_ratio"] == pytest.approx(1.0, abs=0.06)
    assert (row["centroid_row_px"], row["centroid_col_px"]) == (32.0, 32.0)
    assert row["centroid_x_mm"] == pytest.approx(32 * spacing) and row["centroid_y_mm"] == pytest.approx(32 * spacing)


def test_rectangle_sides_rectangularity_and_aspect():
    labels = np.zeros((40, 40), np.int32)
    labels[10:13, 5:17] = 1
    row = _only(measure_calcifications(labels * 100.0, labels, (0.1, 0.1)))
    assert row["rect_long_mm"] == pytest.approx(1.2) and row["rect_short_mm"] == pytest.approx(0.3)
    assert row["rectangularity"] == pytest.approx(1.0)
    assert row["aspect_ratio"] == pytest.approx(4.0)
    assert row["area_mm2"] == pytest.approx(0.36)
    assert row["feret_max_mm"] == pytest.approx(math.hypot(1.2, 0.3))
    assert row["perimeter_ratio"] == pytest.approx(row["perimeter_mm"] / 3.0)


def test_rotated_object_gets_the_rotated_minimum_rectangle():
    # Diamond |r| + |c| <= 5: 61 pixels; its minimum rectangle lies at 45 degrees with sides 12 / sqrt(2) pixel
    # widths (hull corners at (+-5.5, +-0.5)), area 72, far below its 11 x 11 axis-aligned box.
    rows, cols = np.mgrid[:30, :30] - 15
    labels = (np.abs(rows) + np.abs(cols) <= 5).astype(np.int32)
    row = _only(measure_calcifications(labels * 9.0, labels, (0.1, 0.1)))
    assert row["rect_long_mm"] == pytest.approx(1.2 / math.sqrt(2))
    assert row["rect_short_mm"] == pytest.approx(1.2 / math.sqrt(2))
    assert row["rectangularity"] == pytest.approx(61 / 72)


def test_anisotropic_spacing_scales_the_right_axis():
    labels = np.zeros((40, 40), np.int32)
    labels[5:8, 5:17] = 1  # 3 rows x 12 columns
    labels[15:27, 25:28] = 2  # 12 rows x 3 columns
    spacing = (0.1, 0.05)  # row, column
    first, second = measure_calcifications(labels * 50.0, labels, spacing).as_rows()
    assert (first["rect_long_mm"], first["rect_short_mm"]) == (pytest.approx(0.6), pytest.approx(0.3))
    assert (second["rect_long_mm"], second["rect_short_mm"]) == (pytest.approx(1.2), pytest.approx(0.15))
    assert first["area_mm2"] == pytest.approx(36 * 0.005) and first["rectangularity"] == pytest.approx(1.0)
    assert first["centroid_x_mm"] == pytest.approx(10.5 * 0.05) and first["centroid_y_mm"] == pytest.approx(6 * 0.1)


def test_anisotropic_perimeter_matches_the_same_shape_on_square_pixels():
    square_px = np.zeros((40, 40), np.int32)
    square_px[10:22, 10:22] = 1  # 12 x 12 pixels of 0.1 x 0.05 mm: a 1.2 x 0.6 mm rectangle
    tall = np.zeros((60, 40), np.int32)
    tall[10:34, 10:22] = 1  # the same rectangle on 0.05 mm square pixels
    anisotropic = _only(measure_calcifications(square_px * 1.0, square_px, (0.1, 0.05)))
    isotropic = _only(measure_calcifications(tall * 1.0, tall, (0.05, 0.05)))
    assert anisotropic["perimeter_mm"] == pytest.approx(isotropic["perimeter_mm"], rel=0.03)
    assert anisotropic["perimeter_mm"] == pytest.approx(3.6, rel=0.1)


def test_single_pixel_has_one_pixel_sides():
    labels = np.zeros((20, 20), np.int32)
    labels[9, 9] = 1
    row = _only(measure_calcifications(labels * 10.0, labels, (0.08, 0.06)))
    assert (row["rect_long_mm"], row["rect_short_mm"]) == (pytest.approx(0.08), pytest.approx(0.06))
    assert row["rectangularity"] == pytest.approx(1.0) and row["roundness"] == 1.0
    assert row["area_mm2"] == pytest.approx(0.0048)


def _ring_image(spacing: float) -> tuple[np.ndarray, np.ndarray, int]:
    """One-pixel calcification (100) at the centre; tissue 10 within RING_8_MM, 30 out to RING_32_MM, 500 beyond; a
    second calcification (1000) sits 3 pixels away inside the first ring and must be excluded from it."""
    size = 80
    rows, cols = np.mgrid[:size, :size] - size // 2
    distance_mm = np.hypot(rows, cols) * spacing
    image = np.where(distance_mm <= RING_8_MM, 10.0, np.where(distance_mm <= RING_32_MM, 30.0, 500.0))
    labels = np.zeros((size, size), np.int32)
    labels[size // 2, size // 2] = 1
    labels[size // 2 + 3, size // 2] = 2
    image[labels == 1], image[labels == 2] = 100.0, 1000.0
    inner = int((distance_mm <= RING_8_MM).sum()) - 2  # minus both calcification pixels
    outer = int(((distance_mm > RING_8_MM) & (distance_mm <= RING_32_MM)).sum())
    return image, labels, (inner, outer)


@pytest.mark.parametrize("spacing", [0.068, 0.1])
def test_surround_ring_means_exclude_calcifications(spacing):
    image, labels, (inner, outer) = _ring_image(spacing)
    row = measure_calcifications(image, labels, (spacing, spacing)).as_rows()[0]
    assert row["density_8_mean"] == pytest.approx(10.0) and row["density_8_std"] == pytest.approx(0.0)
    assert row["density_32_mean"] == pytest.approx((10.0 * inner + 30.0 * outer) / (inner + outer))
    assert row["contrast"] == pytest.approx(90.0)
    assert row["contrast_to_noise"] == math.inf  # flat surround: infinitely clear


def test_contrast_measures_ignore_the_grey_scale_and_edges_are_sharper_unblurred():
    from scipy import ndimage

    labels = _disc(4, 48)
    noise = np.random.default_rng(3).normal(0.0, 5.0, labels.shape)
    sharp = 200.0 + 60.0 * labels + noise
    blurred = 200.0 + 60.0 * ndimage.gaussian_filter(labels.astype(float), 1.5) + noise
    base = _only(measure_calcifications(sharp, labels, (0.07, 0.07)))
    rescaled = _only(measure_calcifications(3.0 * sharp + 1000.0, labels, (0.07, 0.07)))
    soft = _only(measure_calcifications(blurred, labels, (0.07, 0.07)))
    for name in ("contrast_to_noise", "edge_sharpness_per_mm", "roundness"):
        assert rescaled[name] == pytest.approx(base[name])
    assert base["contrast_to_noise"] == pytest.approx(base["contrast"] / base["density_8_std"])
    assert 5.0 < base["contrast_to_noise"] < 20.0
    assert base["edge_sharpness_per_mm"] > 1.5 * soft["edge_sharpness_per_mm"] > 0


def test_rows_follow_label_order_and_columns_have_units():
    labels = np.zeros((30, 30), np.int32)
    labels[2:4, 2:4], labels[20:25, 20:22] = 7, 3
    measurements = measure_calcifications(labels * 2.0, labels, (0.1, 0.1))
    assert measurements.label.tolist() == [3, 7] and measurements.label.dtype == np.int32
    assert measurements.area_mm2.tolist() == pytest.approx([0.1, 0.04])
    assert measurements.cluster_id.tolist() == [-1, -1]
    assert {"area_mm2", "perimeter_mm", "rect_long_mm", "centroid_x_mm"} <= set(measurements.COLUMNS)
    assert list(measurements.as_rows()[0]) == list(measurements.COLUMNS)


def test_empty_labels_give_zero_length_columns():
    measurements = measure_calcifications(np.ones((20, 30)), np.zeros((20, 30), np.int16), (0.07, 0.07))
    assert len(measurements) == 0 and measurements.as_rows() == []
    assert all(getattr(measurements, name).shape == (0,) for name in measurements.COLUMNS)


_GOOD = np.zeros((10, 10), np.int32)


@pytest.mark.parametrize(
    "image, labels, spacing",
    [
        (np.zeros((10, 12)), _GOOD, (0.1, 0.1)),  # shape mismatch
        (np.zeros((2, 10, 10)), np.zeros((2, 10, 10), np.int32), (0.1, 0.1)),  # 3D
        (np.zeros((10, 10)), _GOOD.astype(float), (0.1, 0.1)),  # float labels
        (np.zeros((10, 10)), _GOOD.astype(bool), (0.1, 0.1)),  # a mask, not an instance map
        (np.zeros((10, 10)), _GOOD - 1, (0.1, 0.1)),  # negative labels
        (np.full((10, 10), np.nan), _GOOD, (0.1, 0.1)),  # NaN image
        (np.zeros((10, 10)), _GOOD, (0.0, 0.1)),  # zero spacing
        (np.zeros((10, 10)), _GOOD, (float("nan"), 0.1)),
        (np.zeros((10, 10)), _GOOD, "abc"),
    ],
)
def test_bad_input_is_refused(image, labels, spacing):
    with pytest.raises(InputError):
        measure_calcifications(image, labels, spacing)


def test_every_instance_of_a_synthetic_case_is_measured():
    from calcification.core.synthetic import SynthesisConfig, generate_case

    case = generate_case(SynthesisConfig(shape=(384, 320), crop=True, clusters_per_case=(1, 2)), seed=11, index=0)
    instances = np.unique(case.instances[case.instances > 0])
    measurements = measure_calcifications(case.mammogram.pixels, case.instances, case.mammogram.spacing_mm)
    assert instances.size > 0
    assert measurements.label.tolist() == instances.tolist()
    pixel_area = case.mammogram.spacing_mm[0] * case.mammogram.spacing_mm[1]
    assert measurements.area_mm2.sum() == pytest.approx(np.count_nonzero(case.instances) * pixel_area)
    assert np.all(measurements.rectangularity <= 1.0 + 1e-9) and np.all(measurements.aspect_ratio >= 1.0)


def test_crofton_perimeter_matches_scikit_image_on_random_shapes():
    """The fast Crofton perimeter is scikit-image's formula: same value on random masks of every density."""
    from skimage.measure import perimeter_crofton

    from calcification.core.features.per_calcification import _crofton_perimeter_px

    rng = np.random.default_rng(0)
    for _ in range(200):
        mask = rng.random((rng.integers(1, 25), rng.integers(1, 25))) < rng.random()
        assert _crofton_perimeter_px(mask) == pytest.approx(perimeter_crofton(mask, directions=4), abs=1e-9)
