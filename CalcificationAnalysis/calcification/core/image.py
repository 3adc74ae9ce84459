"""The mammogram as the core library sees it: float32 pixels plus everything needed to measure in millimetres."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import InputError

#: Pixel spacing assumed when a file carries none (PNG, TIFF, DICOM without spacing tags), in mm.
#: 0.07 mm is the spacing the Hessian-DoG settings of Marasinou et al. 2023 were published for and is typical of
#: full-field digital mammography; the reader warns whenever it falls back to it.
DEFAULT_SPACING_MM = 0.07

#: Spacings outside this range (mm) are refused as absurd for a mammogram (detectors are 0.025-0.2 mm; the
#: mini-MIAS scans are 0.2 mm). Wide on purpose: a real but unusual spacing must not be refused.
MIN_PLAUSIBLE_SPACING_MM = 0.005
MAX_PLAUSIBLE_SPACING_MM = 2.0


class Laterality(str, enum.Enum):
    """Which breast the image shows (DICOM Image Laterality / Laterality: ``L`` or ``R``)."""

    LEFT = "L"
    RIGHT = "R"
    UNKNOWN = "U"


class View(str, enum.Enum):
    """Mammographic view position (DICOM View Position, ACR codes)."""

    CC = "CC"
    MLO = "MLO"
    ML = "ML"
    LM = "LM"
    XCCL = "XCCL"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"

    @property
    def shows_pectoral_muscle(self) -> bool:
        """True for lateral views (MLO, ML, LM), where the pectoral muscle is usually in the image."""
        return self in (View.MLO, View.ML, View.LM)


def validate_spacing_mm(spacing_mm: tuple[float, float], given_by: str = "") -> tuple[float, float]:
    """Return ``spacing_mm`` as a (row, column) tuple of floats, or raise :class:`InputError` if it is absurd.

    Parameters
    ----------
    spacing_mm : (float, float)
        Pixel spacing (row, column) in millimetres.
    given_by : str
        Where the user gave the spacing (e.g. ``--spacing``): the message starts with it and says how to give it;
        "" for a spacing read from a file (the message points at the image header).

    Raises
    ------
    InputError
        When a value is not finite, not positive, or outside 0.005-2 mm.
    """
    try:
        row, col = (float(s) for s in spacing_mm)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Pixel spacing must be two numbers in mm (row, column), got {spacing_mm!r}.") from exc
    where = f"{given_by}: " if given_by else ""
    for value in (row, col):
        if not np.isfinite(value) or value <= 0:
            advice = f"give it in mm, e.g. {given_by} 0.07" if given_by else "check the image header"
            raise InputError(f"{where}pixel spacing must be positive, got {row:g} x {col:g} mm; {advice}.")
        if not MIN_PLAUSIBLE_SPACING_MM <= value <= MAX_PLAUSIBLE_SPACING_MM:
            advice = f"{given_by} takes mm" if given_by else "check the image header or pass the spacing explicitly"
            raise InputError(
                f"{where}pixel spacing {row:g} x {col:g} mm is not plausible for a mammogram "
                f"(expected {MIN_PLAUSIBLE_SPACING_MM}-{MAX_PLAUSIBLE_SPACING_MM} mm); {advice}."
            )
    return row, col


def validate_pixels(pixels: np.ndarray, what: str = "image") -> np.ndarray:
    """Return ``pixels`` as a C-contiguous float32 2D array, or raise :class:`InputError`.

    Refuses arrays that are not 2D (a 3D volume must have exactly one slice and be squeezed by the caller), empty,
    non-finite anywhere (NaN / inf), or constant (all zero or flat: nothing to analyse).
    """
    array = np.asarray(pixels)
    if array.ndim != 2:
        raise InputError(
            f"The {what} has shape {array.shape}; a mammogram must be a single 2D image. "
            "For a 3D volume, select one slice first."
        )
    if array.size == 0 or min(array.shape) < 2:
        raise InputError(f"The {what} is empty (shape {array.shape}).")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"The {what} has pixel type {array.dtype}; expected real numbers.")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise InputError(f"The {what} has {bad} pixels that are NaN or infinite; the file is damaged or mis-converted.")
    if float(array.min()) == float(array.max()):
        raise InputError(
            f"The {what} has the same value ({float(array.min()):g}) in every pixel: it is blank, nothing to analyse."
        )
    return array


@dataclass(frozen=True)
class Mammogram:
    """One 2D mammogram, intensities oriented so that dense tissue and calcium are bright (MONOCHROME2).

    Attributes
    ----------
    pixels : np.ndarray, float32, shape (rows, columns)
        Raw stored values, MONOCHROME1 already inverted; no other normalisation.
    spacing_mm : (float, float)
        Pixel spacing (row, column) in millimetres.
    laterality, view : Laterality, View
        From DICOM tags where present, else UNKNOWN.
    source_path : Path or None
        File the image was read from.
    bit_depth : int
        Bits stored in the original file (8, 12, 16, ...; 32 for float images).
    photometric_interpretation : str
        Interpretation in the original file (``MONOCHROME1`` / ``MONOCHROME2``).
    spacing_from_file : bool
        False when ``spacing_mm`` is the default because the file carried none.
    """

    pixels: np.ndarray
    spacing_mm: tuple[float, float] = (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM)
    laterality: Laterality = Laterality.UNKNOWN
    view: View = View.UNKNOWN
    source_path: Optional[Path] = None
    bit_depth: int = 16
    photometric_interpretation: str = "MONOCHROME2"
    spacing_from_file: bool = True
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pixels", validate_pixels(self.pixels))
        object.__setattr__(self, "spacing_mm", validate_spacing_mm(self.spacing_mm))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) in pixels."""
        return self.pixels.shape  # type: ignore[return-value]

    @property
    def name(self) -> str:
        """File name without extension(s), used to name outputs; ``"mammogram"`` when read from memory."""
        return "mammogram" if self.source_path is None else name_from_path(self.source_path)


def name_from_path(path) -> str:
    """The name outputs of the image file ``path`` get: its file name without extension(s)."""
    name = Path(path).name
    for suffix in (".nii.gz", ".seg.nrrd"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem
