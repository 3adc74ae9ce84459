"""One entry point to read a mammogram from any supported file: :func:`read_mammogram`.

The format is recognised from the file's content where it has a signature (DICOM "DICM" at byte 128, PNG, TIFF,
PGM), else from its extension, so DICOM files without a ``.dcm`` extension (common on PACS exports) are read too.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Laterality, Mammogram, View, validate_spacing_mm
from .dicom_reader import read_dicom
from .raster_reader import RASTER_SUFFIXES, is_raster_signature, read_raster
from .readable import check_readable
from .volume_file_reader import VOLUME_SUFFIXES, read_volume_file

SUPPORTED = "DICOM, PNG, TIFF, PGM/PPM, NRRD, NIfTI or MHA"


def _format_of(path: Path) -> str:
    """'dicom', 'raster' or 'volume' from the signature, else the extension; InputError when neither fits."""
    with open(path, "rb") as handle:
        head = handle.read(132)
    if head[128:132] == b"DICM":
        return "dicom"
    if is_raster_signature(head):
        return "raster"
    name = path.name.lower()
    if name.endswith(VOLUME_SUFFIXES):
        return "volume"  # NRRD, NIfTI (also gzipped) and MetaImage are recognised by SimpleITK itself
    if name.endswith((".dcm", ".dicom")):
        return "dicom"  # a DICOM without the 128-byte preamble; the DICOM reader checks the content
    if name.endswith(RASTER_SUFFIXES):
        raise InputError(
            f"{path} is named like a {path.suffix[1:].upper()} picture but its content is not one (damaged, or another "
            f"kind of file renamed); expected {SUPPORTED}."
        )
    raise InputError(f"{path} is not a supported mammogram file; expected {SUPPORTED}.")


def read_mammogram(path: os.PathLike | str, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a mammogram file into a :class:`Mammogram` (float32, bright = dense, spacing in mm).

    Parameters
    ----------
    path : path-like
        DICOM, PNG, TIFF, PGM/PPM, NRRD, NIfTI or MHA. The format is recognised from the content where it has a
        signature (DICOM 'DICM' at byte 128, PNG, TIFF, PGM/PPM), else from the extension.
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; overrides the file's. Needed for PNG/TIFF/PGM, which carry none
        (mini-MIAS: 0.2 mm).

    Returns
    -------
    Mammogram
        float32 pixels (rows, columns), bright = dense, with spacing, laterality, view, bit depth and source path.
        Without spacing from the file or the caller, ``spacing_mm`` is ``DEFAULT_SPACING_MM`` with a
        ``UserWarning`` and ``spacing_from_file`` is False.

    Raises
    ------
    InputError
        Missing file, folder, unsupported or damaged file, no pixel data, 3D volume, blank image, NaN/inf pixels,
        absurd spacing. Nothing is written.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give one mammogram file ({SUPPORTED}).")
    check_readable(path)
    if spacing_mm is not None:
        spacing_mm = validate_spacing_mm(spacing_mm)
    readers = {"dicom": read_dicom, "raster": read_raster, "volume": read_volume_file}
    reader = readers[_format_of(path)]
    try:
        return reader(path, spacing_mm)
    except InputError as exc:
        message = str(exc)
        raise InputError(message if str(path) in message else f"{path}: {message}") from exc


def mammogram_from_array(
    pixels: np.ndarray,
    spacing_mm: Optional[tuple[float, float]] = None,
    *,
    laterality: Laterality = Laterality.UNKNOWN,
    view: View = View.UNKNOWN,
    bit_depth: int = 16,
    source_path: Optional[Path] = None,
) -> Mammogram:
    """Wrap an in-memory image as a :class:`Mammogram`.

    Parameters
    ----------
    pixels : array-like, shape (rows, columns), any real dtype
        Intensities with dense tissue bright (MONOCHROME2); copied to float32.
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; without it ``DEFAULT_SPACING_MM`` is used with a ``UserWarning`` and
        ``spacing_from_file`` is False.
    laterality, view, bit_depth, source_path
        Stored as given.

    Raises
    ------
    InputError
        Not 2D, empty, non-finite, constant, or absurd spacing (as :func:`read_mammogram`).
    """
    if spacing_mm is None:
        warnings.warn(
            f"No pixel spacing given for the image; assuming {DEFAULT_SPACING_MM} mm. Measurements in mm are only "
            "right with the real spacing.",
            stacklevel=2,
        )
    return Mammogram(
        pixels=np.asarray(pixels),
        spacing_mm=spacing_mm or (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM),
        laterality=Laterality(laterality),
        view=View(view),
        bit_depth=int(bit_depth),
        source_path=Path(source_path) if source_path is not None else None,
        spacing_from_file=spacing_mm is not None,
    )
