"""Robust intensity normalisation to [0, 1], the range the Hessian-DoG settings of Marasinou et al. 2023 assume."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError

#: At most this many pixels are used to estimate percentiles: the estimate is as good and ~10x faster.
_PERCENTILE_SAMPLE = 2_000_000


def robust_range(pixels: np.ndarray, region: Optional[np.ndarray] = None, low: float = 0.5, high: float = 99.5):
    """(low, high) intensity percentiles of ``pixels`` inside ``region`` (the whole image when None or empty)."""
    sample = pixels[region] if region is not None and region.any() else pixels.ravel()
    if sample.size > _PERCENTILE_SAMPLE:
        sample = sample[:: sample.size // _PERCENTILE_SAMPLE]
    lo, hi = np.percentile(sample, [low, high])
    return float(lo), float(hi)


def normalise_to_unit(
    pixels: np.ndarray, region: Optional[np.ndarray] = None, low_percentile: float = 0.5, high_percentile: float = 99.5
) -> np.ndarray:
    """Map intensities linearly so the ``low``/``high`` percentiles inside ``region`` become 0 and 1, then clip.

    Parameters
    ----------
    pixels : np.ndarray, float, shape (rows, cols)
    region : np.ndarray of bool, same shape, optional
        Where the percentiles are measured: the breast, so background and labels do not set the scale.
    low_percentile, high_percentile : float
        Percentiles (0-100) mapped to 0 and 1. The top 0.5% is left to saturate: calcifications are there.

    Returns
    -------
    np.ndarray, float32, same shape, values in [0, 1]

    Raises
    ------
    InputError
        When the region is flat (no contrast to normalise).
    """
    lo, hi = robust_range(pixels, region, low_percentile, high_percentile)
    if hi <= lo:
        raise InputError("The breast region has no contrast (all pixels nearly equal); cannot normalise it.")
    out = (pixels.astype(np.float32, copy=False) - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    return np.clip(out, 0.0, 1.0, out=out)
