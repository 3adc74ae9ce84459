"""Breast and pectoral masks on images with known regions, on synthetic cases and on real DDSM mammograms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import ndimage

from calcification.core.errors import InputError
from calcification.core.image import View
from calcification.core.io import read_mammogram
from calcification.core.masking.breast_mask import compute_breast_mask
from calcification.core.synthetic import SynthesisConfig, generate_case

SPACING = (0.2, 0.2)


def breast_phantom(mlo: bool = False, chest_wall_right: bool = False, seed: int = 0):
    """A 1,000 x 700 image at 0.2 mm: half-ellipse breast on a noisy grey background, a bright label far away,
    and (``mlo``) a bright triangular pectoral muscle in the top chest-wall corner."""
    rows, cols = np.mgrid[0:1000, 0:700].astype(np.float32)
    breast = ((rows - 500) / 420) ** 2 + (cols / 450) ** 2 <= 1
    image = np.where(breast, 1400 + 300 * np.sin(rows / 37) * np.cos(cols / 23), 150).astype(np.float32)
    pectoral = breast & (cols < 260 - rows * 0.65)
    if mlo:
        image[pectoral] = 2600
    image[900:960, 560:680] = 3500  # burned-in label
    image += np.random.default_rng(seed).normal(0, 40, image.shape).astype(np.float32)
    if chest_wall_right:
        return image[:, ::-1].copy(), breast[:, ::-1].copy(), pectoral[:, ::-1].copy()
    return image, breast, pectoral


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


@pytest.mark.parametrize("chest_wall_right", [False, True])
def test_label_is_excluded_and_area_is_right(chest_wall_right):
    image, breast, _ = breast_phantom(chest_wall_right=chest_wall_right)
    mask = compute_breast_mask(image, SPACING, View.CC)
    assert not mask.breast[900:960, 560:680].any() if not chest_wall_right else not mask.breast[900:960, 20:140].any()
    assert mask.breast.sum() == pytest.approx(breast.sum(), rel=0.05)
    assert mask.chest_wall_side == ("right" if chest_wall_right else "left")
    assert not mask.pectoral.any()
    assert ndimage.label(mask.breast)[1] == 1


@pytest.mark.parametrize("chest_wall_right", [False, True])
def test_pectoral_muscle_is_found_on_mlo_only(chest_wall_right):
    image, _, pectoral = breast_phantom(mlo=True, chest_wall_right=chest_wall_right)
    mlo = compute_breast_mask(image, SPACING, View.MLO)
    assert dice(mlo.pectoral, pectoral) >= 0.8
    assert not (mlo.analysable & pectoral).sum() > 0.2 * pectoral.sum()
    assert not compute_breast_mask(image, SPACING, View.CC).pectoral.any()


def test_synthetic_cases_match_their_ground_truth_breast():
    config = SynthesisConfig(shape=(660, 500), spacing_mm=0.35)
    for index in range(4):
        case = generate_case(config, seed=11, index=index)
        mask = compute_breast_mask(case.mammogram.pixels, case.mammogram.spacing_mm, View.CC)
        assert dice(mask.breast, case.breast_mask) >= 0.9


def test_real_ddsm_breast_is_one_plausible_component(ddsm_cases):
    for view in ("lcc", "rmlo"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no spacing tag in these files
            mammogram = read_mammogram(ddsm_cases[1][view])
        mask = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
        assert ndimage.label(mask.breast)[1] == 1
        assert 0.2 <= mask.breast.mean() <= 0.8
        assert mask.chest_wall_side == ("left" if view == "lcc" else "right")
        if view == "rmlo":
            assert 0.005 <= mask.pectoral.sum() / mask.breast.sum() <= 0.4


def test_blank_image_is_refused():
    with pytest.raises(InputError, match="blank|No breast"):
        compute_breast_mask(np.full((300, 200), 7.0, np.float32), SPACING)


def test_padded_scan_finds_chest_wall_and_pectoral_at_the_breast_edge():
    """mini-MIAS-like: the film is padded with black columns beyond the chest wall, so the image edge is not it."""
    image, breast, pectoral = breast_phantom(mlo=True, chest_wall_right=True)
    padded = np.pad(image, ((0, 0), (0, 150)))
    mask = compute_breast_mask(padded, SPACING, View.MLO)
    assert mask.chest_wall_side == "right"
    assert not mask.breast[:, 702:].any()  # at most one 0.4 mm working pixel into the padding
    assert dice(mask.pectoral[:, :700], pectoral) >= 0.8


def test_film_edge_strip_above_and_below_the_breast_is_dropped():
    image, breast, _ = breast_phantom()
    strip = np.zeros(image.shape, bool)
    strip[:, :30] = True  # 6 mm glowing film edge along the chest wall, over the full height
    image[strip & ~breast] = 900
    mask = compute_breast_mask(image, SPACING, View.CC)
    assert not mask.breast[:40, :30].any() and not mask.breast[-40:, :30].any()
    assert mask.breast.sum() == pytest.approx(breast.sum(), rel=0.05)


@pytest.mark.parametrize(
    "pixels, spacing, match",
    [
        (np.zeros((2, 50, 50), np.float32), SPACING, "2D"),
        (np.full((50, 50), np.nan, np.float32), SPACING, "NaN"),
        (np.random.default_rng(0).random((50, 50), dtype=np.float32), (0.0, 0.2), "spacing"),
    ],
)
def test_bad_input_is_refused_with_a_message(pixels, spacing, match):
    with pytest.raises(InputError, match=match):
        compute_breast_mask(pixels, spacing)


def test_normalisation_sets_its_scale_inside_the_breast():
    from calcification.core.preprocessing import normalise_to_unit

    image, breast, _ = breast_phantom()
    mask = compute_breast_mask(image, SPACING, View.CC)
    unit = normalise_to_unit(image, mask.breast)
    assert unit.dtype == np.float32 and unit.min() == 0.0 and unit.max() == 1.0
    inside = unit[mask.breast]
    # 0.5 / 99.5 percentiles inside the breast: about 0.5% saturates at each end, whatever the label and background do
    assert (inside == 1.0).mean() == pytest.approx(0.005, abs=0.002)
    assert (inside == 0.0).mean() == pytest.approx(0.005, abs=0.002)
    assert (unit[900:960, 560:680] == 1.0).all() and np.median(unit[~mask.breast]) < 0.01
    with pytest.raises(InputError, match="no contrast"):
        normalise_to_unit(np.full((50, 50), 3.0, np.float32), np.ones((50, 50), bool))
