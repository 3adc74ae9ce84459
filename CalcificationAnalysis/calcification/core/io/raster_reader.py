"""Read a mammogram from a raster picture: 8/16-bit PNG, TIFF (also float) and PGM.

These formats carry no reliable pixel spacing, so the caller gives it; otherwise the default is used with a warning
and ``spacing_from_file`` is False.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Mammogram

TIFF_SUFFIXES = (".tif", ".tiff")


def _to_grey(array: np.ndarray, path: Path) -> np.ndarray:
    """A 2D array from greyscale, grey-looking RGB(A) or a single-page stack; refuses true colour and volumes."""
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        rgb = array[..., :3]
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise InputError(f"{path} is a colour picture; a mammogram must be greyscale.")
        return rgb[..., 0]
    if array.ndim == 3 and array.shape[0] == 1:
        return array[0]
    if array.ndim != 2:
        raise InputError(f"{path} has shape {array.shape}: a stack or volume, not one 2D mammogram.")
    return array


def _bit_depth(array: np.ndarray) -> int:
    if np.issubdtype(array.dtype, np.floating):
        return 32
    return 8 * array.dtype.itemsize


def read_raster(path: Path, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read a PNG, TIFF or PGM mammogram.

    Parameters
    ----------
    path : Path
    spacing_mm : (float, float), optional
        Pixel spacing (row, column) in mm; these formats carry none.

    Returns
    -------
    Mammogram
        ``bit_depth`` is the file's sample size: 8 or 16 for integer files, 32 for float TIFF.

    Raises
    ------
    InputError
        Unreadable file, colour picture, several pages or slices, blank or non-finite pixels.
    """
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            import tifffile

            array = tifffile.imread(str(path))
        else:
            from PIL import Image

            with Image.open(path) as picture:
                picture.load()
                if getattr(picture, "n_frames", 1) > 1:
                    raise InputError(f"{path} holds {picture.n_frames} frames; a mammogram is a single image.")
                array = np.asarray(picture)
    except InputError:
        raise
    except Exception as exc:  # Pillow and tifffile raise many types for damaged files
        raise InputError(f"{path} is not a readable image file ({exc}).") from exc
    array = _to_grey(np.asarray(array), path)
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
