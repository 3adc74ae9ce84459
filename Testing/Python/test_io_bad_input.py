"""Every kind of unusable input gives an InputError naming the problem, from the library and the command line."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import SimpleITK as sitk
import tifffile
from PIL import Image

from calcification.cli.main import main
from calcification.core.errors import InputError
from calcification.core.image import Mammogram
from calcification.core.io import mammogram_from_array, read_mammogram

from dicom_factory import mammography_dataset, ramp_pattern, write_dicom


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_mammogram(tmp_path / "nothing.dcm")


def test_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_mammogram(tmp_path)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("notes.dcm", "not a DICOM file"),
        ("notes.png", "named like a PNG picture but its content is not one"),
        ("notes.tif", "named like a TIF picture"),
        ("notes.txt", "not a supported mammogram file"),
        ("notes.nrrd", "not a readable NRRD/NIfTI/MHA image"),
    ],
)
def test_non_image_file(tmp_path, name, reason):
    (tmp_path / name).write_text("This is a radiology report, not an image.\n" * 20)
    with pytest.raises(InputError, match=reason) as error:
        read_mammogram(tmp_path / name)
    assert str(tmp_path / name) in str(error.value)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.001])  # cut in the pixel data, near the end, in the header
def test_truncated_real_dicom(tmp_path, ddsm_dicom_paths, keep):
    data = ddsm_dicom_paths[0].read_bytes()
    (tmp_path / "truncated.dcm").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match="truncated.dcm is truncated"):
        read_mammogram(tmp_path / "truncated.dcm")


def test_truncated_uncompressed_dicom(tmp_path):
    path = write_dicom(tmp_path / "cut.dcm", mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07]))
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(InputError, match="cut.dcm") as error:
        read_mammogram(path)
    assert "truncated" in str(error.value)


def test_dicom_without_pixel_data(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    del dataset.PixelData
    with pytest.raises(InputError, match="without pixel data"):
        read_mammogram(write_dicom(tmp_path / "nopixels.dcm", dataset))


def test_multiframe_dicom(tmp_path):
    frames = np.stack([ramp_pattern()] * 3)
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07], NumberOfFrames=3)
    dataset.PixelData = frames.tobytes()
    with pytest.raises(InputError, match="3 frames"):
        read_mammogram(write_dicom(tmp_path / "tomo.dcm", dataset))


def test_colour_dicom(tmp_path):
    rgb = np.stack([ramp_pattern(bits=8).astype(np.uint8)] * 3, axis=-1)
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0.07, 0.07])
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation, dataset.PlanarConfiguration = 3, "RGB", 0
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 8, 8, 7
    dataset.PixelData = rgb.tobytes()
    with pytest.raises(InputError, match="colour DICOM"):
        read_mammogram(write_dicom(tmp_path / "photo.dcm", dataset))


def test_volume_with_three_slices(tmp_path):
    sitk.WriteImage(sitk.GetImageFromArray(np.ones((3, 20, 20), np.uint16)), str(tmp_path / "volume.nrrd"))
    with pytest.raises(InputError, match="3 slices"):
        read_mammogram(tmp_path / "volume.nrrd")


def test_all_zero_image(tmp_path):
    Image.fromarray(np.zeros((50, 40), np.uint8)).save(tmp_path / "black.png")
    with pytest.raises(InputError, match="same value"):
        read_mammogram(tmp_path / "black.png", spacing_mm=(0.1, 0.1))


def test_multipage_tiff(tmp_path):
    tifffile.imwrite(tmp_path / "stack.tif", np.stack([ramp_pattern()] * 4), photometric="minisblack")
    with pytest.raises(InputError, match="stack or volume"):
        read_mammogram(tmp_path / "stack.tif", spacing_mm=(0.1, 0.1))


def test_true_colour_picture(tmp_path):
    rgb = np.stack([ramp_pattern(bits=8).astype(np.uint8)] * 3, axis=-1)
    rgb[10:20, 10:20, 0] = 200  # a red mark: real colour, not grey saved as RGB
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    with pytest.raises(InputError, match="colour picture"):
        read_mammogram(tmp_path / "photo.png", spacing_mm=(0.1, 0.1))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("name", ["float.tif", "float.nrrd"])
def test_non_finite_pixels(tmp_path, bad, name):
    pixels = np.random.default_rng(0).random((30, 30), dtype=np.float32)
    pixels[5, 5] = bad
    if name.endswith(".tif"):
        tifffile.imwrite(tmp_path / name, pixels)
    else:
        sitk.WriteImage(sitk.GetImageFromArray(pixels[None]), str(tmp_path / name))
    with pytest.raises(InputError, match="NaN or infinite") as error:
        read_mammogram(tmp_path / name, spacing_mm=(0.1, 0.1))
    assert name in str(error.value)


@pytest.mark.parametrize("spacing", [(0.0, 0.0), (-0.1, 0.1), (5.0, 5.0)])
def test_absurd_spacing_from_caller(tmp_path, spacing):
    Image.fromarray(ramp_pattern().astype(np.uint8)).save(tmp_path / "image.png")
    with pytest.raises(InputError, match="spacing"):
        read_mammogram(tmp_path / "image.png", spacing_mm=spacing)


def test_absurd_spacing_in_header(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), PixelSpacing=[0, 0])
    with pytest.raises(InputError, match="spacing"):
        read_mammogram(write_dicom(tmp_path / "zero_spacing.dcm", dataset))


@pytest.mark.parametrize("spacing", [(5.0, 5.0), (0.001, 0.001)])
def test_absurd_spacing_in_volume_header(tmp_path, spacing):
    image = sitk.GetImageFromArray(ramp_pattern())
    image.SetSpacing(spacing)
    sitk.WriteImage(image, str(tmp_path / "image.nrrd"))
    with pytest.raises(InputError, match="not plausible") as error:
        read_mammogram(tmp_path / "image.nrrd")
    assert "image.nrrd" in str(error.value)


def test_negative_spacing_in_dicom_header(tmp_path):
    dataset = mammography_dataset(ramp_pattern(), ImagerPixelSpacing=[-0.07, 0.07])
    with pytest.raises(InputError, match="must be positive"):
        read_mammogram(write_dicom(tmp_path / "negative_spacing.dcm", dataset))


def test_files_are_left_untouched(tmp_path, ddsm_dicom_paths):
    data = ddsm_dicom_paths[0].read_bytes()[:100_000]
    (tmp_path / "cut.dcm").write_bytes(data)
    with pytest.raises(InputError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_mammogram(tmp_path / "cut.dcm")
    assert (tmp_path / "cut.dcm").read_bytes() == data and sorted(tmp_path.iterdir()) == [tmp_path / "cut.dcm"]


def test_wrong_shaped_arrays():
    with pytest.raises(InputError, match="single 2D image"):
        mammogram_from_array(np.ones((2, 10, 10)), (0.1, 0.1))
    with pytest.raises(InputError, match="empty"):
        Mammogram(np.ones((0, 10)))


def test_command_line_gives_one_line_and_non_zero_exit(tmp_path, capsys):
    (tmp_path / "notes.dcm").write_text("not an image")
    assert main(["info", str(tmp_path / "notes.dcm")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "notes.dcm" in error
