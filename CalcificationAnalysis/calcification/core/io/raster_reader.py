"""Read a mammogram from a raster picture: 8/16-bit PNG, TIFF (also float) and PGM / PPM (e.g. mini-MIAS).

These formats carry no reliable pixel spacing, so the caller gives it; otherwise the default is used with a warning
and ``spacing_from_file`` is False. Pictures saved as RGB whose three channels are equal (grey saved as colour) are
accepted by taking one channel; true colour is refused.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Mammogram

TIFF_SUFFIXES = (".tif", ".tiff")
RASTER_SUFFIXES = (".png", ".pgm", ".ppm", ".pnm") + TIFF_SUFFIXES
#: First bytes of the TIFF variants (little / big endian, classic / BigTIFF).
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
PNG_SIGNATURE = b"\x89PNG"
#: Netpbm grey (P2 ASCII, P5 binary) and colour (P3, P6) signatures.
NETPBM_SIGNATURES = (b"P2", b"P5", b"P3", b"P6")


def is_raster_signature(head: bytes) -> bool:
    """True when the first bytes of a file are those of PNG, TIFF or a grey / colour Netpbm (PGM / PPM) file."""
    return head.startswith(PNG_SIGNATURE) or head[:4] in TIFF_SIGNATURES or head[:2] in NETPBM_SIGNATURES


def _to_grey(array: np.ndarray, path: Path) -> np.ndarray:
    """A 2D array from greyscale, grey-looking RGB(A), grey + alpha or a single-page stack; refuses true colour and
    volumes."""
    if array.ndim == 3 and array.shape[-1] == 2:  # grey + alpha: the alpha channel is not image content
        return array[..., 0]
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        rgb = array[..., :3]
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise InputError(
                f"{path} is a colour picture (its red, green and blue differ); a mammogram must be greyscale. "
                "Export the original greyscale image (DICOM, or a 16-bit PNG / TIFF)."
            )
        return rgb[..., 0]
    if array.ndim == 3 and array.shape[0] == 1:
        return array[0]
    if array.ndim != 2:
        raise InputError(f"{path} has shape {array.shape}: a stack or volume, not one 2D mammogram.")
    return array


def _read_with_pillow(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as picture:
        frames = getattr(picture, "n_frames", 1)
        if frames > 1:
            raise InputError(f"{path} holds {frames} frames; a mammogram is a single image.")
        if picture.mode in ("P", "PA"):  # palette indices are not intensities: look the colours up
            picture = picture.convert("RGBA" if picture.mode == "PA" else "RGB")
        picture.load()
        array = np.asarray(picture)
    if array.dtype == np.int32 and array.size and array.min() >= 0 and array.max() <= 65535:
        # Pillow opens 16-bit PGM as 32-bit integers; keep the file's 16 bits (for bit_depth and memory).
        array = array.astype(np.uint16)
    return array


def _read_array(path: Path) -> np.ndarray:
    with open(path, "rb") as handle:
        is_tiff = handle.read(4) in TIFF_SIGNATURES
    try:
        if is_tiff:
            import tifffile

            return tifffile.imread(str(path))
        return _read_with_pillow(path)
    except InputError:
        raise
    except Exception as exc:  # Pillow and tifffile raise many types for damaged files
        raise InputError(f"{path} is not a readable PNG, TIFF or PGM image ({exc}).") from exc


def _bit_depth(array: np.ndarray) -> int:
    if np.issubdtype(array.dtype, np.floating):
        return 32
    return 8 * array.dtype.itemsize


def read_raster(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a PNG, TIFF, PGM or PPM mammogram (the format is taken from the file's signature).

    Parameters
    ----------
    path : Path
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; these formats carry none.

    Returns
    -------
    Mammogram
        float32 pixels (rows, columns) with the file's values; ``bit_depth`` is the file's sample size: 8 or 16 for
        integer files, 32 for float TIFF; ``photometric_interpretation`` is MONOCHROME2 (values used as they are).

    Raises
    ------
    InputError
        Unreadable file, colour picture, several pages or slices, blank or non-finite pixels.
    """
    array = _to_grey(np.asarray(_read_array(path)), path)
    if spacing_mm is None:
        warnings.warn(
            f"{path.name} carries no pixel spacing; assuming {DEFAULT_SPACING_MM} mm. Give the real spacing "
            "(--spacing) for measurements in mm.",
            stacklevel=3,
        )
    return Mammogram(
        pixels=array,
        spacing_mm=spacing_mm or (DEFAULT_SPACING_MM, DEFAULT_SPACING_MM),
        source_path=path,
        bit_depth=_bit_depth(array),
        spacing_from_file=spacing_mm is not None,
    )
