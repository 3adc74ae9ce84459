"""The eight training augmentations of Tong et al. 2024: identity when switched off, each one alone changes the image,
geometric ones keep image and mask aligned and the mask binary, intensity ones leave the mask alone, the same seed
gives the same crop; calcification copy-paste adds exactly the pasted components, only inside the breast region and
from other images; the preview picture; augmented crop batches."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from calcification.core.errors import InputError
from calcification.core.training.augmentation_preview import write_augmentation_preview
from calcification.core.training.augmentations import AugmentationConfig, augment
from calcification.core.training.copy_paste import CalcificationDonors, paste_calcifications
from calcification.core.training.crop_batches import CropBatcher
from calcification.core.training.training_cases import TrainingCase
from calcification.core.training.training_config import TrainingConfig

GEOMETRIC = ("crop", "scale", "affine")
INTENSITY = ("gamma", "histogram", "blur", "sharpen")
EIGHT = np.ones((3, 3), bool)


def _only(*names: str, **settings) -> AugmentationConfig:
    """Every probability 0 except the named augmentations (probability 1); strengths from ``settings``."""
    return replace(AugmentationConfig.none(), **{f"{n}_probability": 1.0 for n in names}, **settings)


# Strengths that cannot land on the identity, so "changes the image" is a real check.
STRONG = dict(
    crop_range=(0.6, 0.8),
    scale_range=(1.2, 1.4),
    gamma_range=(0.6, 0.7),
    sharpen_amount=(0.8, 1.0),
    blur_sigma_px=(0.8, 1.0),
    histogram_strength=1.0,
)


def _square(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Black crop with a bright 12 x 12 square (1.0) off centre, and its mask (uint8)."""
    image = np.zeros((size, size), np.float32)
    image[14:26, 30:42] = 1.0
    return image, (image > 0.5).astype(np.uint8)


def _texture(size: int = 64, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).random((size, size))
    return (0.2 + 0.6 * ndimage.gaussian_filter(noise, 1.0)).clip(0, 1).astype(np.float32)


def _donor_case(values: list[tuple[slice, slice, float]], size: int = 48) -> TrainingCase:
    """Flat background 0.3 with the given rectangles (rows, cols, intensity) as calcifications."""
    image = np.full((size, size), 0.3, np.float32)
    mask = np.zeros((size, size), np.uint8)
    for rows, cols, value in values:
        image[rows, cols], mask[rows, cols] = value, 1
    return TrainingCase("d", "p", image, mask, np.ones((size, size), bool))


@pytest.fixture(scope="module")
def donors() -> CalcificationDonors:
    """Source 0: two 3 x 3 squares of contrast 0.5; source 1: three 2 x 4 bars of contrast 0.4."""
    squares = _donor_case([(slice(5, 8), slice(5, 8), 0.8), (slice(20, 23), slice(30, 33), 0.8)])
    bars = _donor_case(
        [(slice(4, 6), slice(4, 8), 0.7), (slice(20, 22), slice(20, 24), 0.7), (slice(35, 37), slice(10, 14), 0.7)]
    )
    return CalcificationDonors.from_cases([squares, bars])


def test_all_probabilities_zero_is_the_identity(donors):
    image, mask = _texture(), _square()[1]
    out_image, out_mask = augment(image, mask, np.random.default_rng(3), AugmentationConfig.none(), donors)
    assert np.array_equal(out_image, image) and np.array_equal(out_mask, mask)
    assert out_image.dtype == np.float32 and out_mask.dtype == np.uint8


@pytest.mark.parametrize("names", [("crop",), ("scale",), ("affine",), GEOMETRIC])
def test_geometric_augmentations_move_image_and_mask_together(names):
    image, mask = _square()
    for seed in range(6):
        out_image, out_mask = augment(image, mask, np.random.default_rng(seed), _only(*names, **STRONG))
        assert out_image.shape == image.shape and out_image.dtype == np.float32 and out_mask.dtype == np.uint8
        assert set(np.unique(out_mask)) <= {0, 1} and out_mask.any()
        assert not np.array_equal(out_image, image)
        # Nearest neighbour picks the bilinear corner of weight >= 1/4: bright pixels are masked, masked ones bright.
        assert out_mask[out_image > 0.76].all()
        assert (out_image[out_mask.astype(bool)] > 0.24).all()


def test_bool_masks_stay_bool_and_inputs_are_not_modified():
    image, mask = _square()
    image_before, mask_bool = image.copy(), mask.astype(bool)
    out_image, out_mask = augment(image, mask_bool, np.random.default_rng(1), _only(*GEOMETRIC, *INTENSITY))
    assert out_mask.dtype == bool and np.array_equal(image, image_before) and np.array_equal(mask_bool, mask > 0)


@pytest.mark.parametrize("name", INTENSITY)
def test_intensity_augmentations_change_only_the_image(name):
    image, mask = _texture(), _square()[1]
    out_image, out_mask = augment(image, mask, np.random.default_rng(0), _only(name, **STRONG))
    assert np.abs(out_image - image).max() > 0.02
    assert np.array_equal(out_mask, mask) and out_image.dtype == np.float32
    assert out_image.min() >= 0.0 and out_image.max() <= 1.0


def test_gamma_and_blur_do_what_their_names_say():
    image = _texture()
    brighter, _ = augment(image, image > 2, np.random.default_rng(0), _only("gamma", gamma_range=(0.5, 0.5)))
    assert np.allclose(brighter, np.sqrt(image), atol=1e-6)
    blurred, _ = augment(image, image > 2, np.random.default_rng(0), _only("blur", blur_sigma_px=(2.0, 2.0)))
    assert np.allclose(blurred, ndimage.gaussian_filter(image, 2.0, mode="mirror"), atol=1e-6)


def test_same_seed_same_crop_and_other_seeds_differ(donors):
    image, mask = _texture(), _square()[1]
    config = replace(AugmentationConfig(), copy_paste_probability=0.5)
    runs = [augment(image, mask, np.random.default_rng(seed), config, donors) for seed in (7, 7, 8, 9, 10)]
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert any(not np.array_equal(runs[0][0], other[0]) for other in runs[2:])


def test_donors_are_components_with_their_contrast_over_the_local_background(donors):
    assert len(donors) == 5 and donors.sources == [0, 1]
    squares = [donors.components[i] for i in donors.of_source(0)]
    assert [c.footprint.shape for c in squares] == [(3, 3), (3, 3)]
    assert all(np.allclose(c.contrast[c.footprint], 0.5) for c in squares)
    big = _donor_case([(slice(2, 40), slice(2, 40), 0.9), (slice(42, 45), slice(42, 45), 0.9)])
    assert len(CalcificationDonors.from_cases([big], max_side_px=20)) == 1  # the 38-pixel blob is no calcification
    capped = CalcificationDonors.from_cases([big, big, big], max_components=2, max_side_px=64)
    assert len(capped) == 2 and capped.sources == [0, 2]  # spread evenly over the images


def _paste(donors, seed, region=None, exclude=None, fraction=1.0):
    image = np.full((64, 64), 0.2, np.float32)
    mask = np.zeros((64, 64), np.uint8)
    image[30:34, 30:34], mask[30:34, 30:34] = 0.9, 1  # a calcification already there
    out = paste_calcifications(image, mask, donors, np.random.default_rng(seed), fraction, region, exclude)
    return image, mask, *out


@pytest.mark.parametrize("seed", range(5))
def test_copy_paste_adds_exactly_the_pasted_components(donors, seed):
    image, mask, out_image, out_mask = _paste(donors, seed, exclude=0)
    new = (out_mask > 0) & (mask == 0)
    labels, count = ndimage.label(new, structure=EIGHT)
    assert count == 3  # all three bars of source 1 (fraction 1), each a component of its own
    assert all(
        labels[box].shape in {(2, 4)} and (labels[box] == k + 1).all()
        for k, box in enumerate(ndimage.find_objects(labels))
    )
    assert np.allclose(out_image[new], 0.2 + 0.4)  # the donor's contrast over this crop's background
    assert np.array_equal(out_image[~new], image[~new]) and out_mask[mask > 0].all()
    assert not (ndimage.binary_dilation(mask > 0, structure=EIGHT) & new).any()  # no merge with the old one
    assert set(np.unique(out_mask)) == {0, 1} and out_mask.dtype == np.uint8


def test_copy_paste_fraction_and_own_image(donors):
    counts = {ndimage.label(_paste(donors, s, fraction=1.0)[3] > 0, structure=EIGHT)[1] - 1 for s in range(12)}
    assert counts == {2, 3}  # all of one donor image's components: 2 squares or 3 bars
    assert ndimage.label(_paste(donors, 0, exclude=1, fraction=0.01)[3] > 0, structure=EIGHT)[1] - 1 == 1
    only_own = CalcificationDonors([c for c in donors.components if c.source == 0])
    image, mask, out_image, out_mask = _paste(only_own, 0, exclude=0)
    assert np.array_equal(out_mask, mask) and np.array_equal(out_image, image)


def test_copy_paste_stays_inside_the_breast_region(donors):
    region = np.zeros((64, 64), bool)
    region[:, :20] = True
    pasted = 0
    for seed in range(10):
        _, mask, _, out_mask = _paste(donors, seed, region=region)
        new = (out_mask > 0) & (mask == 0)
        assert not new[~region].any()
        pasted += int(new.any())
    assert pasted == 10
    _, mask, _, out_mask = _paste(donors, 0, region=np.zeros((64, 64), bool))
    assert np.array_equal(out_mask, mask)


def test_copy_paste_through_augment_brightens_and_masks(donors):
    image, mask = _texture(), np.zeros((64, 64), np.uint8)
    region = np.ones((64, 64), bool)
    out_image, out_mask = augment(image, mask, np.random.default_rng(2), _only("copy_paste"), donors, region=region)
    new = out_mask > 0
    assert new.any() and (out_image[new] > image[new]).all() and np.array_equal(out_image[~new], image[~new])


def test_bad_settings_are_refused():
    with pytest.raises(InputError, match="crop_probability"):
        AugmentationConfig(crop_probability=1.5)
    with pytest.raises(InputError, match="gamma_range"):
        AugmentationConfig(gamma_range=(1.5, 0.5))
    with pytest.raises(InputError, match="same shape"):
        augment(
            np.zeros((8, 8), np.float32), np.zeros((8, 9), np.uint8), np.random.default_rng(0), AugmentationConfig()
        )
    with pytest.raises(InputError, match="fraction"):
        _paste(CalcificationDonors([]), 0, fraction=0.0)


def _training_cases() -> list[TrainingCase]:
    cases = []
    for seed in range(3):
        image = _texture(96, seed)
        mask = np.zeros((96, 96), np.uint8)
        for row, col in np.random.default_rng(seed).integers(10, 80, size=(6, 2)):
            image[row : row + 3, col : col + 3], mask[row : row + 3, col : col + 3] = 0.95, 1
        region = np.zeros((96, 96), bool)
        region[:, :70] = True
        cases.append(TrainingCase(f"c{seed}", f"p{seed}", image, mask, region))
    return cases


def test_augmented_crop_batches_have_the_right_shape_and_repeat_with_the_seed():
    config = TrainingConfig(crop_size=64, batch_size=6, augment=True)
    first = CropBatcher(_training_cases(), config, np.random.default_rng(5))
    images, masks = first.next_batch()
    assert images.shape == masks.shape == (6, 1, 64, 64) and images.dtype == masks.dtype == np.float32
    assert set(np.unique(masks)) <= {0.0, 1.0} and len(first.donors) > 0
    again = CropBatcher(_training_cases(), config, np.random.default_rng(5)).next_batch()
    assert np.array_equal(images, again[0]) and np.array_equal(masks, again[1])
    assert CropBatcher(_training_cases(), replace(config, augment=False), np.random.default_rng(5)).donors is None


def test_preview_is_a_png_grid(tmp_path):
    path = write_augmentation_preview(_training_cases(), TrainingConfig(crop_size=64), tmp_path / "p.png", count=3)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as picture:
        assert picture.size == (2 * 64 + 12, 16 + 3 * (64 + 4)) and picture.mode == "RGB"
        pixels = np.asarray(picture)
    assert (np.all(pixels == (255, 80, 40), axis=2)).any()  # mask outlines drawn in colour
    for bad in (tmp_path / "p.jpg", tmp_path / "missing" / "p.png"):
        with pytest.raises(InputError):
            write_augmentation_preview(_training_cases(), TrainingConfig(crop_size=64), bad)
        assert not bad.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]
