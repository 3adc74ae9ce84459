"""The synthetic mammogram engine: exact ground truth, determinism, labels, BI-RADS cluster rule, bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from calcification.core.errors import InputError
from calcification.core.image import Mammogram, View
from calcification.core.synthetic import (
    BreastDensity,
    CaseLabel,
    Distribution,
    Morphology,
    SynthesisConfig,
    blend_calcifications,
    generate_case,
)
from calcification.core.synthetic.calcification_shapes import make_shape
from calcification.core.synthetic.rendering import rasterize

#: A small full view (breast outline, skin, pectoral in MLO) that generates in a fraction of a second.
SMALL_VIEW = SynthesisConfig(shape=(700, 520), spacing_mm=0.1, clusters_per_case=(2, 3))
CROP = SynthesisConfig(shape=(256, 256), crop=True, clusters_per_case=(1, 2))


@pytest.fixture(scope="module")
def small_cases():
    return [generate_case(SMALL_VIEW, seed=11, index=i) for i in range(4)]


def test_case_contract(small_cases):
    for case in small_cases:
        assert isinstance(case.mammogram, Mammogram)
        assert case.mammogram.pixels.dtype == np.float32 and case.mammogram.shape == (700, 520)
        assert case.mammogram.spacing_mm == (0.1, 0.1)
        assert 0.0 <= case.mammogram.pixels.min() and case.mammogram.pixels.max() <= 4095.0
        assert case.mammogram.view in (View.CC, View.MLO)
        assert case.instances.dtype == np.int32 and case.mask.dtype == bool
        np.testing.assert_array_equal(case.mask, case.instances > 0)
        # air is dark, the breast bright: a MONOCHROME2 mammogram
        assert case.mammogram.pixels[~case.breast_mask].mean() < 0.3 * case.mammogram.pixels[case.breast_mask].mean()


def test_every_instance_is_drawn_inside_the_breast(small_cases):
    for case in small_cases:
        record = case.record
        ids = np.unique(case.instances)
        assert (
            list(ids[1:])
            == [c.instance_id for c in record.calcifications]
            == list(range(1, record.n_calcifications + 1))
        )
        counts = np.bincount(case.instances.ravel(), minlength=record.n_calcifications + 1)
        for calc in record.calcifications:
            assert counts[calc.instance_id] == calc.n_pixels > 0
            assert case.instances[calc.center_rc] == calc.instance_id
        assert case.breast_mask[case.mask].all()
        assert sum(c.n_calcifications for c in record.clusters) == record.n_calcifications


def test_pixel_area_matches_nominal_size(small_cases):
    """Stated tolerance: each mask's area is within 50 % or 4 pixels of the continuous outline's area, its extent
    within the nominal size plus 2 pixels, and over all instances the areas agree within 10 % on average."""
    spacing = SMALL_VIEW.spacing_mm
    pixel_area = spacing * spacing
    ratios = []
    for case in small_cases:
        objects = ndimage.find_objects(case.instances)
        for calc in case.record.calcifications:
            area = calc.n_pixels * pixel_area
            assert abs(area - calc.area_mm2) <= max(0.5 * calc.area_mm2, 4 * pixel_area), calc
            rows, cols = objects[calc.instance_id - 1]
            extent = max(rows.stop - rows.start, cols.stop - cols.start) * spacing
            assert extent <= calc.size_mm + 2 * spacing, calc
            ratios.append(area / calc.area_mm2)
    assert len(ratios) > 20
    assert abs(np.mean(ratios) - 1.0) < 0.10


def test_calcifications_are_brighter_than_their_surroundings(small_cases):
    contrasts = []
    for case in small_cases:
        pixels = case.mammogram.pixels
        for label in range(1, case.record.n_calcifications + 1):
            inside = case.instances == label
            ring = ndimage.binary_dilation(inside, iterations=4) & ~ndimage.binary_dilation(inside, iterations=2)
            contrasts.append(pixels[inside].mean() - pixels[ring].mean())
    assert np.median(contrasts) > 0
    assert np.mean(np.array(contrasts) > 0) > 0.8


def test_same_seed_is_bit_identical_and_seeds_differ():
    first = generate_case(CROP, seed=5, index=3)
    again = generate_case(CROP, seed=5, index=3)
    np.testing.assert_array_equal(first.mammogram.pixels, again.mammogram.pixels)
    np.testing.assert_array_equal(first.instances, again.instances)
    assert first.record.to_dict() == again.record.to_dict()
    other_seed = generate_case(CROP, seed=6, index=3)
    other_index = generate_case(CROP, seed=5, index=4)
    for other in (other_seed, other_index):
        assert not np.array_equal(first.mammogram.pixels, other.mammogram.pixels)


def test_global_random_state_is_neither_used_nor_changed():
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    a = generate_case(CROP, seed=2, index=0)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(99)
    b = generate_case(CROP, seed=2, index=0)
    np.testing.assert_array_equal(a.mammogram.pixels, b.mammogram.pixels)


def test_label_balance_and_class_overlap():
    """Stated tolerance: 40 cases at malignant_fraction 0.5 give 20 +/- 10 malignant (3 binomial sigma)."""
    labels = [generate_case(CROP, seed=21, index=i).record.label for i in range(40)]
    n_malignant = labels.count(CaseLabel.MALIGNANT)
    assert labels.count(CaseLabel.NORMAL) == 0
    assert 10 <= n_malignant <= 30
    separated = SynthesisConfig(shape=(256, 256), crop=True, class_overlap=0.0)
    for i in range(12):
        record = generate_case(separated, seed=22, index=i).record
        malignant = record.label == CaseLabel.MALIGNANT
        assert all(c.suspicious == malignant == c.morphology.is_suspicious for c in record.clusters)
    mixed = SynthesisConfig(shape=(256, 256), crop=True, class_overlap=1.0, clusters_per_case=(3, 3))
    swapped = [
        c.suspicious != (r.label == CaseLabel.MALIGNANT)
        for r in (generate_case(mixed, seed=23, index=i).record for i in range(12))
        for c in r.clusters
    ]
    assert 0.25 < np.mean(swapped) < 0.75  # half the groups come from the other pool at full overlap


def test_grouped_clusters_hold_five_within_one_square_centimetre():
    config = SynthesisConfig(shape=(512, 512), crop=True, malignant_fraction=1.0, clusters_per_case=(2, 3))
    radius_px = math.sqrt(100.0 / math.pi) / config.spacing_mm  # a disc of 1 cm^2
    n_grouped = 0
    for i in range(10):
        record = generate_case(config, seed=31, index=i).record
        centers = {c.instance_id: np.array(c.center_rc, float) for c in record.calcifications}
        for cluster in record.clusters:
            if cluster.distribution != Distribution.GROUPED:
                continue
            n_grouped += 1
            points = np.array([centers[i] for i in cluster.instance_ids])
            within = (np.linalg.norm(points[:, None] - points[None], axis=2) <= radius_px).sum(1)
            assert within.max() >= 5, cluster
            assert len(cluster.outline_rc) >= 3
    assert n_grouped >= 5


@pytest.mark.parametrize("morphology", list(Morphology))
def test_every_morphology_rasterises_non_empty_at_its_centre(morphology):
    rng = np.random.default_rng(0)
    for _ in range(20):
        shape = make_shape(morphology, rng)
        stamp = rasterize(shape, 0.07)
        assert stamp.footprint[stamp.half, stamp.half]
        assert 0.1 <= shape.extent_mm <= 3.2
        if morphology in (Morphology.PUNCTATE, Morphology.AMORPHOUS, Morphology.FINE_PLEOMORPHIC):
            assert shape.extent_mm < 0.65  # BI-RADS: these are the small (< 0.5 mm) types


def test_density_categories_change_the_image():
    means = []
    for density in BreastDensity:
        config = SynthesisConfig(shape=(400, 300), spacing_mm=0.14, density=density, view=View.CC)
        case = generate_case(config, seed=4, index=0)
        means.append(float(case.mammogram.pixels[case.breast_mask].mean()))
    assert means == sorted(means)  # fatty A darkest, extremely dense D brightest


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shape": (-10, 300)},
        {"shape": (0, 300)},
        {"shape": (40, 40)},
        {"shape": (300.5, 300)},
        {"spacing_mm": 0.0},
        {"spacing_mm": -0.07},
        {"clusters_per_case": (-1, 2)},
        {"clusters_per_case": (3, 1)},
        {"density": "E"},
        {"view": View.ML},
        {"malignant_fraction": 1.5},
        {"class_overlap": -0.1},
    ],
)
def test_bad_parameters_raise_input_error(kwargs):
    with pytest.raises(InputError):
        SynthesisConfig(**kwargs)


def test_bad_seed_or_index_raise_input_error():
    with pytest.raises(InputError):
        generate_case(CROP, seed=-1)
    with pytest.raises(InputError):
        generate_case(CROP, seed=0, index=-3)


def test_blending_into_a_real_image_changes_only_the_calcifications():
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:600, 0:450]
    breast = ((rows - 300) / 280.0) ** 2 + (cols / 400.0) ** 2 < 1.0
    pixels = breast * (1500 + 200 * np.sin(rows / 17.0) * np.cos(cols / 23.0)) + rng.normal(0, 20, breast.shape)
    original = Mammogram(pixels.astype(np.float32), (0.1, 0.1), view=View.CC)
    kept = original.pixels.copy()
    case = blend_calcifications(original, seed=3, config=SynthesisConfig(shape=(256, 256), malignant_fraction=1.0))
    np.testing.assert_array_equal(original.pixels, kept)  # the input is not modified
    assert case.record.n_calcifications > 0 and case.record.label == CaseLabel.MALIGNANT
    assert case.breast_mask[case.mask].all()
    changed = case.mammogram.pixels != kept
    near = ndimage.binary_dilation(case.mask, iterations=3)
    assert not (changed & ~near).any()
    assert (case.mammogram.pixels[case.mask] >= kept[case.mask]).all()
    assert case.mammogram.spacing_mm == (0.1, 0.1)
