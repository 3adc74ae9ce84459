"""Write small real DICOM files for tests: uncompressed, RLE, JPEG 2000 (pydicom encoders) and JPEG lossless
(GDCM through SimpleITK, the only JPEG-lossless encoder available from PyPI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from calcification.core.io.pydicom_versions import save_dicom_file

DIGITAL_MAMMOGRAPHY_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.2"


def ramp_pattern(rows: int = 96, cols: int = 64, bits: int = 12) -> np.ndarray:
    """A uint16 gradient with a bright square, values within ``bits`` bits."""
    yy, xx = np.mgrid[0:rows, 0:cols]
    image = (yy * 13 + xx * 7) % (2**bits // 2)
    image[20:30, 20:30] = 2**bits - 1
    return image.astype(np.uint16)


def mammography_dataset(pixels: np.ndarray, bits: int = 12, **tags) -> Dataset:
    """A minimal single-frame digital mammography dataset holding ``pixels`` uncompressed; ``tags`` are set on it."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = DIGITAL_MAMMOGRAPHY_SOP_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = DIGITAL_MAMMOGRAPHY_SOP_CLASS
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "MG"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    return ds


def write_dicom(path: Path, dataset: Dataset, transfer_syntax=None) -> Path:
    """Save ``dataset`` (compressed with ``transfer_syntax`` when given) as a DICOM file with preamble."""
    if transfer_syntax is not None:
        dataset.compress(transfer_syntax)
    save_dicom_file(dataset, path)
    return path


def write_jpeg_lossless_dicom(path: Path, pixels: np.ndarray) -> Path:
    """A JPEG Lossless (process 14, 1.2.840.10008.1.2.4.70) DICOM written by GDCM."""
    import SimpleITK as sitk

    writer = sitk.ImageFileWriter()
    writer.SetFileName(str(path))
    writer.SetImageIO("GDCMImageIO")
    writer.UseCompressionOn()
    writer.SetCompressor("JPEG")
    writer.Execute(sitk.GetImageFromArray(pixels.astype(np.uint16)))
    return path


def real_mammogram_crop(source: Path, rows: slice, cols: slice, **tags) -> Dataset:
    """An uncompressed MG dataset holding a crop of a real (DDSM) mammogram, with new UIDs and 0.05 mm Imager Pixel
    Spacing (the DDSM files have none); ``tags`` (e.g. StudyInstanceUID, SeriesInstanceUID, PatientID) are set on
    it. Real content at a fraction of the full image's analysis time."""
    import pydicom

    original = pydicom.dcmread(source)
    pixels = np.ascontiguousarray(original.pixel_array[rows, cols])
    dataset = mammography_dataset(pixels, bits=int(original.BitsStored), ImagerPixelSpacing=[0.05, 0.05])
    dataset.PhotometricInterpretation = original.PhotometricInterpretation
    for keyword in ("PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate"):
        if keyword in original:
            setattr(dataset, keyword, original.data_element(keyword).value)
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.InstanceNumber = 1
    for keyword, value in tags.items():
        setattr(dataset, keyword, value)
    return dataset
