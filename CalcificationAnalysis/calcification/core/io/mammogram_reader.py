"""One entry point to read a mammogram from any supported file: :func:`read_mammogram`.

The format is recognised from the file's content where it has a signature (DICOM "DICM" at byte 128, PNG, TIFF,
PGM), else from its extension, so DICOM files without a ``.dcm`` extension (common on PACS exports) are read too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import Laterality, Mammogram, View, validate_spacing_mm
from .dicom_reader import read_dicom
from .raster_reader import TIFF_SUFFIXES, read_raster
from .volume_file_reader import VOLUME_SUFFIXES, read_volume_file

SUPPORTED = "DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA"


def _format_of(path: Path) -> str:
    """'dicom', 'raster' or 'volume' from the signature, else the extension; InputError when neither fits."""
    with open(path, "rb") as handle:
        head = handle.read(132)
    if head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(b"\x89PNG") or head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "raster"
    if head[:2] in (b"P2", b"P5"):
        return "raster"
    name = path.name.lower()
    if name.endswith(VOLUME_SUFFIXES):
        return "volume"
    if name.endswith((".dcm", ".dicom")):
        return "dicom"  # a DICOM without preamble; pydicom decides
    if name.endswith((".png", ".pgm") + TIFF_SUFFIXES):
        return "raster"
    raise InputError(f"{path} is not a supported mammogram file; expected {SUPPORTED}.")


def read_mammogram(path: os.PathLike | str, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a mammogram file into a :class:`Mammogram` (float32, bright = dense, spacing in mm).

    Parameters
    ----------
    path : path-like
        DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA.
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; overrides the file's. Needed for PNG/TIFF/PGM, which carry none.

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
    spacing_mm: tuple[float, float],
    *,
    laterality: Laterality = Laterality.UNKNOWN,
    view: View = View.UNKNOWN,
    bit_depth: int = 16,
    source_path: Optional[Path] = None,
) -> Mammogram:
    """Wrap an in-memory 2D array (bright = dense) as a :class:`Mammogram`; the array is validated and copied to
    float32. Raises :class:`InputError` like :func:`read_mammogram`."""
    return Mammogram(
        pixels=np.asarray(pixels),
        spacing_mm=spacing_mm,
        laterality=laterality,
        view=view,
        bit_depth=bit_depth,
        source_path=source_path,
    )
