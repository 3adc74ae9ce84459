"""Read a mammogram from a DICOM file (pydicom + pylibjpeg: uncompressed, RLE, JPEG lossless, JPEG-LS, JPEG 2000).

Conventions
-----------
- Intensities: Rescale Slope / Intercept are applied, then MONOCHROME1 is inverted as
  ``(largest storable value - value)`` so that dense tissue and calcium are bright, as in MONOCHROME2.
- Pixel spacing, first found of: Pixel Spacing (0028,0030); Imager Pixel Spacing (0018,1164) (for mammography the
  detector spacing; geometric magnification is not corrected); the same two in the Pixel Measures of the shared,
  then the first per-frame, functional groups (enhanced objects); else the default with a warning.
- Laterality, first found of: Image Laterality (0020,0062); Laterality (0020,0060); a LEFT / RIGHT token in
  Patient ID.
- View, first found of: View Position (0018,5101) (a value that is not a known view gives OTHER); View Code
  Sequence code meaning; Patient Orientation when it holds a view word (the CBIS-DDSM files keep 'CC' / 'MLO'
  there); a view token in Patient ID or Series Description (e.g. ``Calc-Test_P_00038_LEFT_CC``). Where the view was
  found is kept in ``metadata["view_source"]``.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Laterality, Mammogram, View
from .dicom_pixel_checks import check_pixel_geometry, decode_failure, quiet_native_stderr

#: View words recognised in tags and identifiers (whole tokens only, so "XCCL" is never read as "CC").
_LOG = logging.getLogger(__name__)
_VIEW_WORDS = ("XCCL", "MLO", "CC", "ML", "LM")
#: View Code Sequence meanings (DICOM CID 4014), most specific first: "cranio-caudal exaggerated laterally" is XCCL.
_VIEW_MEANINGS = (
    ("exaggerated laterally", View.XCCL),
    ("medio-lateral oblique", View.MLO),
    ("cranio-caudal", View.CC),
    ("medio-lateral", View.ML),
    ("latero-medial", View.LM),
)
_LATERALITY_WORDS = {"L": Laterality.LEFT, "LEFT": Laterality.LEFT, "R": Laterality.RIGHT, "RIGHT": Laterality.RIGHT}


def _tokens(text) -> set[str]:
    """Upper-case letter runs of ``text``: 'Calc-Test_P_00038_LEFT_CC' -> {'CALC', 'TEST', 'P', 'LEFT', 'CC'}."""
    if isinstance(text, Sequence) and not isinstance(text, str):  # multi-valued, e.g. Patient Orientation 'A\R'
        text = " ".join(str(part) for part in text)
    return set(re.split(r"[^A-Z]+", str(text or "").upper()))


def _view_from_text(text) -> Optional[View]:
    """A view word found as a whole token in ``text``, or None."""
    tokens = _tokens(text)
    return next((View(word) for word in _VIEW_WORDS if word in tokens), None)


def _view_from_code_sequence(dataset) -> Optional[View]:
    for item in dataset.get("ViewCodeSequence", None) or []:
        meaning = str(item.get("CodeMeaning", "")).lower()
        for words, view in _VIEW_MEANINGS:
            if words in meaning:
                return view
    return None


def read_view(dataset) -> tuple[View, str]:
    """The view position and the attribute it was read from (see the module docstring for the order).

    Returns
    -------
    (View, str)
        The view (UNKNOWN when nothing says) and the keyword of its source, e.g. ``"PatientOrientation"``.
    """
    position = str(dataset.get("ViewPosition", "") or "").strip()
    if position:
        return _view_from_text(position) or View.OTHER, "ViewPosition"
    view = _view_from_code_sequence(dataset)
    if view is not None:
        return view, "ViewCodeSequence"
    for keyword in ("PatientOrientation", "PatientID", "SeriesDescription"):
        view = _view_from_text(dataset.get(keyword, ""))
        if view is not None:
            return view, keyword
    return View.UNKNOWN, ""


def read_laterality(dataset) -> Laterality:
    """Image Laterality (0020,0062), else Laterality (0020,0060), else a LEFT/RIGHT token in Patient ID."""
    for keyword in ("ImageLaterality", "Laterality"):
        value = str(dataset.get(keyword, "") or "").strip().upper()
        if value in _LATERALITY_WORDS:
            return _LATERALITY_WORDS[value]
    tokens = _tokens(dataset.get("PatientID", ""))
    for word in ("LEFT", "RIGHT"):
        if word in tokens:
            return _LATERALITY_WORDS[word]
    return Laterality.UNKNOWN


def _spacing_in(item) -> Optional[tuple[float, float]]:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = item.get(keyword, None)
        if value is not None and len(value) == 2:
            return float(value[0]), float(value[1])
    return None


def read_spacing_mm(dataset) -> Optional[tuple[float, float]]:
    """(row, column) spacing in mm from the tags listed in the module docstring, or None when none is present.

    The value is returned as found; :class:`Mammogram` refuses absurd values (zero, negative, > 2 mm).
    """
    spacing = _spacing_in(dataset)
    if spacing is not None:
        return spacing
    # Enhanced (multi-frame IOD) objects keep it in the functional groups instead; the first frame is enough
    # because only single-frame images are accepted.
    for keyword in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        groups = dataset.get(keyword, None) or []
        for measures in (groups[0].get("PixelMeasuresSequence", None) or []) if len(groups) else []:
            spacing = _spacing_in(measures)
            if spacing is not None:
                return spacing
    return None


def _check_single_grey_frame(dataset, path: Path) -> None:
    if "PixelData" not in dataset:
        raise InputError(f"{path} is a DICOM file without pixel data (e.g. a structured report), not an image.")
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise InputError(
            f"{path} holds {frames} frames (tomosynthesis or another 3D / multi-frame image); a mammogram is one "
            "2D frame. Export the single projection image (or one slice) and read that."
        )
    if int(dataset.get("SamplesPerPixel", 1) or 1) != 1:
        raise InputError(f"{path} is a colour DICOM ({dataset.get('PhotometricInterpretation')}); expected greyscale.")


def _largest_storable(dataset) -> float:
    bits = int(dataset.get("BitsStored", 16) or 16)
    signed = int(dataset.get("PixelRepresentation", 0) or 0) == 1
    return float(2 ** (bits - 1) - 1 if signed else 2**bits - 1)


def _pixels(dataset, path: Path) -> np.ndarray:
    """Decoded pixel data as float32 (rows, cols), rescaled and MONOCHROME1-inverted."""
    _check_single_grey_frame(dataset, path)
    check_pixel_geometry(dataset, path)
    try:
        with quiet_native_stderr():
            stored = dataset.pixel_array
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pydicom raises many types; pylibjpeg-rle panics (a BaseException) on bad lengths
        _LOG.debug("Decoding %s failed: %s: %s", path, type(exc).__name__, exc)
        raise decode_failure(path, dataset, exc) from exc
    if stored.ndim != 2 or stored.shape != (int(dataset.Rows), int(dataset.Columns)):
        raise InputError(
            f"{path} has pixel data of shape {stored.shape} for Rows x Columns "
            f"{dataset.get('Rows')} x {dataset.get('Columns')}; the file is damaged."
        )
    # One float32 copy, modified in place: a 12-megapixel image never gets a float64 temporary.
    pixels = stored.astype(np.float32)
    slope = float(dataset.get("RescaleSlope", 1) or 1)
    intercept = float(dataset.get("RescaleIntercept", 0) or 0)
    if slope != 1:
        pixels *= np.float32(slope)
    if intercept != 0:
        pixels += np.float32(intercept)
    if str(dataset.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        # Invert against the largest storable value (not the image maximum), so the result does not depend on
        # the content and two MONOCHROME1 images stay comparable.
        top = np.float32(_largest_storable(dataset) * slope + intercept)
        np.subtract(top, pixels, out=pixels)
    return pixels


def _read_dataset(path: Path):
    """The pydicom dataset; files without the 128-byte preamble and 'DICM' are read with ``force``."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    with open(path, "rb") as handle:
        has_preamble = handle.read(132)[128:132] == b"DICM"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dataset = pydicom.dcmread(str(path), force=not has_preamble)
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InputError(f"{path} is not a readable DICOM file ({exc}).") from exc
    if any("End of file reached" in str(warning.message) for warning in caught):
        # pydicom reads a cut file up to the cut and only warns; the pixel data are then missing or incomplete.
        raise InputError(f"{path} is truncated (the file ends in the middle of its data); copy or export it again.")
    if has_preamble:  # a forced read of a non-DICOM file warns about every garbage tag: not worth passing on
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if not has_preamble and "Rows" not in dataset and "PixelData" not in dataset:
        raise InputError(f"{path} is not a DICOM file (no DICOM header, no image attributes).")
    if "TransferSyntaxUID" not in dataset.file_meta:
        _set_transfer_syntax_from_encoding(dataset)
    return dataset


def _set_transfer_syntax_from_encoding(dataset) -> None:
    """A file without File Meta Information names no transfer syntax; an uncompressed one is the encoding pydicom
    found while parsing (compressed pixel data cannot be guessed and fails to decode with a clear message)."""
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    implicit, little = dataset.original_encoding
    if implicit is None:
        return
    dataset.file_meta.TransferSyntaxUID = (
        ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian if little else ExplicitVRBigEndian
    )


def read_dicom(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read one single-frame DICOM mammogram (see :func:`_read_dicom`); any failure of pydicom on a damaged file
    (an unknown value representation, a value of the wrong length ...) is an :class:`InputError` naming the file."""
    try:
        return _read_dicom(path, spacing_mm)
    except (InputError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # pydicom parses values lazily: a damaged element fails wherever it is first read
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(
            f"{path} is not a readable DICOM file ({type(exc).__name__}: {reason}); it is damaged or not a DICOM image."
        ) from exc


def _read_dicom(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
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
        float32 pixels (rows, columns) = (Rows, Columns), bright = dense; ``bit_depth`` is Bits Stored;
        ``metadata`` holds ``patient_id``, ``study_instance_uid``, ``study_date`` (YYYYMMDD or ''),
        ``transfer_syntax_uid``, ``transfer_syntax``
        (its name) and ``view_source``.

    Raises
    ------
    InputError
        Unreadable or truncated file, no pixel data, several frames, colour, undecodable compression, absurd spacing.
    """
    dataset = _read_dataset(path)
    pixels = _pixels(dataset, path)
    file_spacing = read_spacing_mm(dataset)
    if spacing_mm is None and file_spacing is None:
        warnings.warn(
            f"{path.name} has no Pixel Spacing or Imager Pixel Spacing; assuming {DEFAULT_SPACING_MM} mm. "
            "Measurements in mm and network detections are only right at the real spacing (--spacing MM; digitised "
            "film such as DDSM is usually 0.04-0.05 mm, and reading it coarser makes film grain look like "
            "calcifications).",
            stacklevel=3,
        )
    view, view_source = read_view(dataset)
    syntax = getattr(dataset.file_meta, "TransferSyntaxUID", None) if hasattr(dataset, "file_meta") else None
    return Mammogram(
        pixels=pixels,
        spacing_mm=spacing_mm or file_spacing or (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM),
        laterality=read_laterality(dataset),
        view=view,
        source_path=path,
        bit_depth=int(dataset.get("BitsStored", 16) or 16),
        photometric_interpretation=str(dataset.get("PhotometricInterpretation", "MONOCHROME2")),
        spacing_from_file=spacing_mm is not None or file_spacing is not None,
        metadata={
            "patient_id": str(dataset.get("PatientID", "")),
            "study_instance_uid": str(dataset.get("StudyInstanceUID", "")),
            "study_date": str(dataset.get("StudyDate", "") or ""),
            "transfer_syntax_uid": str(syntax or ""),
            "transfer_syntax": getattr(syntax, "name", str(syntax or "")),
            "view_source": view_source,
        },
    )
