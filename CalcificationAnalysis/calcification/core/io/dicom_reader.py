"""Read a mammogram from a DICOM file (pydicom + pylibjpeg: RLE, JPEG lossless, JPEG 2000 and uncompressed).

Conventions: MONOCHROME1 is inverted so that dense tissue and calcium are bright; Rescale Slope / Intercept are
applied; pixel spacing comes from Pixel Spacing (0028,0030), else Imager Pixel Spacing (0018,1164) (for
mammography the detector spacing; magnification is not corrected), else the default with a warning.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Laterality, Mammogram, View

#: View words recognised in tags and identifiers, longest first so "XCCL" is not read as "CC".
_VIEW_WORDS = ("XCCL", "MLO", "CC", "ML", "LM")
_LATERALITY_WORDS = {"L": Laterality.LEFT, "LEFT": Laterality.LEFT, "R": Laterality.RIGHT, "RIGHT": Laterality.RIGHT}


def _view_from_text(text: str) -> Optional[View]:
    """A view word found as a whole token in ``text`` (tokens split on non-letters), or None."""
    tokens = set(re.split(r"[^A-Z]+", str(text).upper()))
    for word in _VIEW_WORDS:
        if word in tokens:
            return View(word)
    return None


def read_view(dataset) -> View:
    """View position, tried in this order: View Position (0018,5101); View Code Sequence code meaning;
    Patient Orientation when it holds a view word (CBIS-DDSM files do this); a view token in Patient ID or
    Series Description (e.g. ``..._LEFT_CC``); else UNKNOWN."""
    candidates = [dataset.get("ViewPosition", "")]
    for item in dataset.get("ViewCodeSequence", []) or []:
        meaning = str(item.get("CodeMeaning", "")).lower()
        candidates.append("MLO" if "medio-lateral oblique" in meaning else "CC" if "cranio-caudal" in meaning else "")
    orientation = dataset.get("PatientOrientation", "")
    candidates.append(" ".join(orientation) if isinstance(orientation, (list, tuple)) else str(orientation))
    candidates += [dataset.get("PatientID", ""), dataset.get("SeriesDescription", "")]
    for text in candidates:
        view = _view_from_text(text) if text else None
        if view is not None:
            return view
    return View.UNKNOWN


def read_laterality(dataset) -> Laterality:
    """Image Laterality (0020,0062), else Laterality (0020,0060), else a LEFT/RIGHT token in Patient ID."""
    for keyword in ("ImageLaterality", "Laterality"):
        value = str(dataset.get(keyword, "") or "").strip().upper()
        if value in _LATERALITY_WORDS:
            return _LATERALITY_WORDS[value]
    tokens = set(re.split(r"[^A-Z]+", str(dataset.get("PatientID", "")).upper()))
    for word in ("LEFT", "RIGHT"):
        if word in tokens:
            return _LATERALITY_WORDS[word]
    return Laterality.UNKNOWN


def read_spacing_mm(dataset) -> Optional[tuple[float, float]]:
    """(row, column) spacing in mm from Pixel Spacing or Imager Pixel Spacing, or None when neither is present."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = dataset.get(keyword)
        if value is not None and len(value) == 2:
            return float(value[0]), float(value[1])
    return None


def _pixels(dataset, path: Path) -> np.ndarray:
    """Decoded pixel data as float32 (rows, cols), rescaled and MONOCHROME1-inverted."""
    if "PixelData" not in dataset:
        raise InputError(f"{path} is a DICOM file without pixel data (e.g. a structured report), not an image.")
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise InputError(f"{path} holds {frames} frames (a 3D or multi-frame image); a mammogram has one frame.")
    if int(dataset.get("SamplesPerPixel", 1)) != 1:
        raise InputError(f"{path} is a colour DICOM ({dataset.get('PhotometricInterpretation')}); expected greyscale.")
    try:
        stored = dataset.pixel_array
    except Exception as exc:  # pydicom raises many types for damaged or unsupported data
        syntax = getattr(dataset.file_meta, "TransferSyntaxUID", "unknown")
        raise InputError(
            f"Cannot decode the pixels of {path} (transfer syntax {getattr(syntax, 'name', syntax)}): {exc}. "
            "The file may be truncated or damaged."
        ) from exc
    if stored.ndim != 2:
        raise InputError(f"{path} has pixel data of shape {stored.shape}; a mammogram is one 2D frame.")
    pixels = stored.astype(np.float32)
    slope, intercept = float(dataset.get("RescaleSlope", 1) or 1), float(dataset.get("RescaleIntercept", 0) or 0)
    if slope != 1 or intercept != 0:
        pixels = pixels * np.float32(slope) + np.float32(intercept)
    if str(dataset.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        # Invert within the stored range: dense tissue becomes bright, as in MONOCHROME2.
        top = float(2 ** int(dataset.get("BitsStored", 16)) - 1) * slope + intercept
        pixels = np.float32(top) - pixels
    return pixels


def read_dicom(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read one single-frame DICOM mammogram.

    Parameters
    ----------
    path : Path
        The DICOM file.
    spacing_mm : (float, float), optional
        Overrides the spacing in the file (row, column, mm).

    Returns
    -------
    Mammogram

    Raises
    ------
    InputError
        Unreadable or truncated file, no pixel data, several frames, colour, undecodable compression.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(str(path))
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{path} is not a readable DICOM file ({exc}).") from exc
    pixels = _pixels(dataset, path)
    file_spacing = read_spacing_mm(dataset)
    if spacing_mm is None and file_spacing is None:
        warnings.warn(
            f"{path.name} has no Pixel Spacing or Imager Pixel Spacing; assuming {DEFAULT_SPACING_MM} mm. "
            "Measurements in mm are only right if you give the real spacing.",
            stacklevel=3,
        )
    syntax = getattr(dataset.file_meta, "TransferSyntaxUID", None)
    return Mammogram(
        pixels=pixels,
        spacing_mm=spacing_mm or file_spacing or (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM),
        laterality=read_laterality(dataset),
        view=read_view(dataset),
        source_path=path,
        bit_depth=int(dataset.get("BitsStored", 16)),
        photometric_interpretation=str(dataset.get("PhotometricInterpretation", "MONOCHROME2")),
        spacing_from_file=spacing_mm is not None or file_spacing is not None,
        metadata={
            "patient_id": str(dataset.get("PatientID", "")),
            "study_instance_uid": str(dataset.get("StudyInstanceUID", "")),
            "transfer_syntax": getattr(syntax, "name", str(syntax)),
        },
    )
