"""PNG, TIFF, PGM, NRRD, NIfTI and MHA reading: values, spacing and bit depth survive."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import tifffile
from PIL import Image

from calcification.core.image import DEFAULT_SPACING_MM, Laterality, View
from calcification.core.io import mammogram_from_array, read_mammogram


def _pattern(dtype) -> np.ndarray:
    yy, xx = np.mgrid[0:40, 0:30]
    top = 255 if dtype == np.uint8 else 4095
    return ((yy * 7 + xx * 3) % top).astype(dtype)


@pytest.mark.parametrize("dtype, bits", [(np.uint8, 8), (np.uint16, 16)])
def test_png_values_and_bit_depth(tmp_path, dtype, bits):
    pixels = _pattern(dtype)
    Image.fromarray(pixels).save(tmp_path / "image.png")
    mammogram = read_mammogram(tmp_path / "image.png", spacing_mm=(0.1, 0.1))
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.bit_depth == bits
    assert mammogram.spacing_mm == (0.1, 0.1) and mammogram.spacing_from_file


def test_png_without_spacing_warns_and_uses_the_default(tmp_path):
    Image.fromarray(_pattern(np.uint8)).save(tmp_path / "image.png")
    with pytest.warns(UserWarning, match="no pixel spacing"):
        mammogram = read_mammogram(tmp_path / "image.png")
    assert mammogram.spacing_mm == (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM)
    assert not mammogram.spacing_from_file


def test_grey_rgb_png_is_accepted(tmp_path):
    grey = _pattern(np.uint8)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(read_mammogram(tmp_path / "rgb.png", spacing_mm=(0.1, 0.1)).pixels, grey)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_tiff_values(tmp_path, dtype):
    pixels = _pattern(np.uint16).astype(dtype)
    tifffile.imwrite(tmp_path / "image.tif", pixels)
    np.testing.assert_array_equal(read_mammogram(tmp_path / "image.tif", spacing_mm=(0.1, 0.1)).pixels, pixels)


def test_pgm_like_mini_mias(tmp_path):
    pixels = _pattern(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "mdb001.pgm")
    mammogram = read_mammogram(tmp_path / "mdb001.pgm", spacing_mm=(0.2, 0.2))
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.name == "mdb001"


@pytest.mark.parametrize("name", ["image.nrrd", "image.nii.gz", "image.mha"])
def test_volume_files_keep_spacing_and_values(tmp_path, name):
    pixels = _pattern(np.uint16)
    image = sitk.GetImageFromArray(pixels[None])  # one slice, as Slicer saves a 2D volume
    image.SetSpacing((0.05, 0.08, 1.0))  # ITK order: column, row, slice
    sitk.WriteImage(image, str(tmp_path / name))
    mammogram = read_mammogram(tmp_path / name)
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.spacing_mm == pytest.approx((0.08, 0.05))
    assert mammogram.name == "image"


def test_mammogram_from_array_validates_and_converts():
    mammogram = mammogram_from_array(_pattern(np.uint16), (0.07, 0.07))
    assert mammogram.pixels.dtype == np.float32 and mammogram.shape == (40, 30)


def test_sixteen_bit_pgm_keeps_values_and_bit_depth(tmp_path):
    pixels = _pattern(np.uint16) * 16  # up to 65,520: needs all 16 bits
    Image.fromarray(pixels).save(tmp_path / "image.pgm")
    assert (tmp_path / "image.pgm").read_bytes().startswith(b"P5")
    mammogram = read_mammogram(tmp_path / "image.pgm", spacing_mm=(0.2, 0.2))
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.bit_depth == 16


@pytest.mark.parametrize("name, mode", [("grey.ppm", "RGB"), ("alpha.png", "LA")])
def test_grey_saved_as_colour_palette_or_with_alpha(tmp_path, name, mode):
    grey = _pattern(np.uint8)
    Image.fromarray(grey).convert(mode).save(tmp_path / name)
    with Image.open(tmp_path / name) as picture:
        assert picture.mode == mode
    np.testing.assert_array_equal(read_mammogram(tmp_path / name, spacing_mm=(0.1, 0.1)).pixels, grey)


def test_palette_png_is_read_through_its_palette(tmp_path):
    grey = _pattern(np.uint8)
    picture = Image.fromarray(255 - grey).convert("P")
    picture.putpalette([channel for index in range(256) for channel in [255 - index] * 3])  # index i shows 255 - i
    picture.save(tmp_path / "palette.png")
    np.testing.assert_array_equal(read_mammogram(tmp_path / "palette.png", spacing_mm=(0.1, 0.1)).pixels, grey)


def test_format_comes_from_content_not_name(tmp_path):
    pixels = _pattern(np.uint16).astype(np.float32)
    tifffile.imwrite(tmp_path / "really_a_tiff.png", pixels)
    np.testing.assert_array_equal(read_mammogram(tmp_path / "really_a_tiff.png", spacing_mm=(0.1, 0.1)).pixels, pixels)


def test_single_slice_along_another_axis(tmp_path):
    pixels = _pattern(np.uint16)
    image = sitk.GetImageFromArray(pixels[:, None, :])  # numpy (z, y, x) = (40, 1, 30): a coronal slice
    image.SetSpacing((0.05, 1.0, 0.08))
    sitk.WriteImage(image, str(tmp_path / "coronal.nrrd"))
    mammogram = read_mammogram(tmp_path / "coronal.nrrd")
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.spacing_mm == pytest.approx((0.08, 0.05))


def test_volume_spacing_is_overridden_by_the_caller(tmp_path):
    image = sitk.GetImageFromArray(_pattern(np.uint16))
    image.SetSpacing((0.05, 0.08))
    sitk.WriteImage(image, str(tmp_path / "image.mha"))
    assert read_mammogram(tmp_path / "image.mha", spacing_mm=(0.1, 0.1)).spacing_mm == (0.1, 0.1)


def test_mammogram_from_array_without_spacing_warns():
    with pytest.warns(UserWarning, match="No pixel spacing"):
        mammogram = mammogram_from_array(_pattern(np.uint8), view=View.CC, laterality=Laterality.LEFT, bit_depth=8)
    assert mammogram.spacing_mm == (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM) and not mammogram.spacing_from_file
    assert (mammogram.view, mammogram.laterality, mammogram.bit_depth) == (View.CC, Laterality.LEFT, 8)
