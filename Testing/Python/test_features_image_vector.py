"""The paper's 35-feature image vector and its small / medium / large bins (core.features.image_features)."""

from __future__ import annotations

import numpy as np
import pytest

from calcification.core.errors import InputError
from calcification.core.features import (
    BINS,
    IMAGE_FEATURE_NAMES,
    attach_cluster_ids,
    describe_features,
    find_clusters,
    image_feature_vector,
    measure_calcifications,
)
from calcification.core.features.feature_bins import SIZE

PAPER_ORDER = (
    "calc_num density density_32 density_8 size_10 size_10_30 size_30 calc_area density_l density_m density_s "
    "length_l length_m length_s clu_num clu_max_num clu_max_area clu_Density_l clu_Density_m clu_Density_s "
    "perimeter_s perimeter_m perimeter_l round_s round_m round_l long_l long_m long_s rectangularity_l "
    "rectangularity_m rectangularity_s lenratio_l lenratio_m lenratio_s"
).split()
GROUPS = ("density", "length", "clu_Density", "perimeter", "round", "long", "rectangularity", "lenratio")


def _vector(image: np.ndarray, labels: np.ndarray, spacing: tuple[float, float]) -> dict[str, float]:
    measurements = measure_calcifications(image, labels, spacing)
    clusters = find_clusters(labels, spacing)
    return image_feature_vector(attach_cluster_ids(measurements, clusters), clusters)


def _size_case() -> tuple[np.ndarray, np.ndarray]:
    """At the paper's 0.068 mm: objects of 9, 10, 30 and 31 pixels, far apart (no cluster), on a textured image."""
    labels = np.zeros((120, 120), np.int32)
    labels[10:13, 10:13] = 1  # 9 px
    labels[10:12, 60:65] = 2  # 10 px
    labels[60:65, 10:16] = 3  # 30 px
    labels[60:65, 60:66] = 4  # 31 px with the next pixel
    labels[65, 60] = 4
    image = np.random.default_rng(0).normal(300.0, 10.0, labels.shape) + 200.0 * (labels > 0)
    return image, labels


def test_names_are_the_papers_in_order():
    assert IMAGE_FEATURE_NAMES == tuple(PAPER_ORDER)
    assert list(describe_features()) == PAPER_ORDER
    assert all(isinstance(text, str) and len(text) > 10 for text in describe_features().values())
    # Plain sentences for people, without column names (issue 20): "Calcifications smaller than 0.05 mm²".
    assert describe_features()["size_10"] == "Calcifications smaller than 0.05 mm²."
    assert "groups of more than 5 calcifications within about 1 mm of each other" in describe_features()["clu_num"]
    assert not any("_" in text or "mm2" in text for text in describe_features().values())


def test_size_bins_count_exactly_at_the_paper_thresholds():
    image, labels = _size_case()
    vector = _vector(image, labels, (0.068, 0.068))
    assert list(vector) == PAPER_ORDER
    assert (vector["size_10"], vector["size_10_30"], vector["size_30"]) == (1.0, 2.0, 1.0)
    assert vector["calc_num"] == 4.0
    assert vector["calc_area"] == pytest.approx(80 * 0.068**2)
    assert vector["clu_num"] == vector["clu_max_num"] == vector["clu_max_area"] == 0.0
    for group in (g for g in GROUPS if g != "clu_Density"):
        assert sum(vector[f"{group}_{s}"] for s in "sml") == 4.0, group


def test_size_bins_are_in_mm2_not_pixels():
    # The same 9-, 10-, 30- and 31-pixel objects on 0.1 mm pixels are 0.09-0.31 mm²: none is below 0.0462 mm².
    image, labels = _size_case()
    vector = _vector(image, labels, (0.1, 0.1))
    assert (vector["size_10"], vector["size_10_30"], vector["size_30"]) == (0.0, 2.0, 2.0)


def test_means_and_cluster_features_on_a_constructed_case():
    # Six single-pixel calcifications (value 900) 1 mm apart on a flat 100 background at 0.1 mm, plus one far away.
    labels = np.zeros((100, 120), np.int32)
    for label, (row, col) in enumerate([(20, 20), (20, 30), (20, 40), (30, 20), (30, 30), (30, 40), (80, 100)], 1):
        labels[row, col] = label
    image = np.where(labels > 0, 900.0, 100.0)
    vector = _vector(image, labels, (0.1, 0.1))
    assert vector["density"] == 900.0 and vector["density_8"] == 100.0 and vector["density_32"] == 100.0
    assert (vector["clu_num"], vector["clu_max_num"]) == (1.0, 6.0)
    domain_mm2 = (10 + 11) * (20 + 11) * 0.01  # 11-pixel squares around a 2 x 3 grid of pitch 10 pixels
    assert vector["clu_max_area"] == pytest.approx(domain_mm2)
    expected = BINS["clu_Density"].counts(np.array([6 / (domain_mm2 / 100)]))
    assert (vector["clu_Density_s"], vector["clu_Density_m"], vector["clu_Density_l"]) == expected
    assert expected == (0, 1, 0)  # 92 per cm², between the 3 x 3 grid densities at 1.0 and 0.6 mm pitch
    assert vector["density_l"] == 7.0  # flat surround: contrast-to-noise is infinite


def test_empty_segmentation_gives_an_all_zero_vector():
    labels = np.zeros((50, 60), np.int32)
    vector = _vector(np.ones((50, 60)), labels, (0.07, 0.07))
    assert list(vector) == PAPER_ORDER and all(value == 0.0 for value in vector.values())


def test_bins_include_both_cut_points_in_the_middle_bin_and_skip_nan():
    values = np.array([SIZE.low * 0.99, SIZE.low, SIZE.high, SIZE.high * 1.01, np.nan, 10 * 0.068 * 0.068])
    assert SIZE.low == pytest.approx(10 * 0.068**2) and SIZE.high == pytest.approx(30 * 0.068**2)
    assert SIZE.counts(values) == (1, 3, 1)


def test_bad_segmentation_is_refused_before_any_feature():
    with pytest.raises(InputError):
        _vector(np.ones((10, 10)), np.ones((10, 10), np.float32), (0.07, 0.07))
