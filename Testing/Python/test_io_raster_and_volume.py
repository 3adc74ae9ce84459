"""PNG, TIFF, PGM, NRRD, NIfTI and MHA reading: values, spacing and bit depth survive."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import tifffile
from PIL import Image

from calcification.core.image import DEFAULT_SPACING_MM
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
