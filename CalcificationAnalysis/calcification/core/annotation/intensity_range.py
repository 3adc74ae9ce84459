"""The density (intensity) range an annotation session starts with, from the breast's intensity distribution.

Tong et al. (Front. Oncol. 2024) let the radiologist constrain the density range before clicking; a useful start
keeps the brighter part of the breast (calcium is denser than any tissue around it) and drops fat and background,
which cannot be calcification. The reader then narrows or widens it in the Segment Editor's masking settings.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError

#: Percentile of the breast's intensities where the default range starts: the darker half of the breast (mostly
#: fat) is excluded; calcifications sit far above it even in dense breasts.
DEFAULT_LOW_PERCENTILE = 50.0


def calcification_intensity_range(
    pixels: np.ndarray, breast: Optional[np.ndarray] = None, low_percentile: float = DEFAULT_LOW_PERCENTILE
) -> tuple[float, float]:
    """(low, high) intensity range for annotating calcifications.

    Parameters
    ----------
    pixels : np.ndarray, float, shape (rows, cols)
        The mammogram, bright = dense.
    breast : np.ndarray of bool, same shape, optional
        Where the distribution is measured (the breast); the whole image when None or empty.
    low_percentile : float
        Percentile (0-100) of the breast's intensities where the range starts; it ends at the image maximum.

    Returns
    -------
    (float, float)
        In image units, low < high.

    Raises
    ------
    InputError
        Percentile outside 0-100, mask of the wrong shape, or no contrast above the low end.
    """
    if not 0.0 <= low_percentile <= 100.0:
        raise InputError(f"The low percentile must be between 0 and 100, got {low_percentile}.")
    if breast is not None and breast.shape != pixels.shape:
        raise InputError(f"The breast mask has shape {breast.shape}, the image {pixels.shape}.")
    sample = pixels[breast] if breast is not None and breast.any() else pixels.ravel()
    low, high = float(np.percentile(sample, low_percentile)), float(np.max(pixels))
    if not low < high:
        raise InputError("The breast has no intensities above its median: no density range to annotate in.")
    return low, high
