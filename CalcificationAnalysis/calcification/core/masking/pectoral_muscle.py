"""Pectoral muscle on lateral (MLO) views, after Hossain 2019: clustering plus a geometric constraint.

The muscle is the bright, roughly triangular region in the top corner at the chest wall. Inside the top half of the
breast on the chest-wall side, intensities are split into three clusters (k-means on grey levels); the brightest
cluster's component touching the chest-wall edge near the top is the muscle candidate. Dense glandular tissue can
join it, so the candidate is made triangle-like: below its widest row its width may only shrink going down, and
rows below the first row where it vanishes are dropped (above the widest row the image edge may cut the breast).
Implausible results (below 0.5% or above 40% of the breast) are discarded: no muscle is better than a wrong one
that hides calcifications.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.cluster.vq import kmeans2


def _brightest_cluster(values: np.ndarray) -> float:
    """Lower bound of the brightest of three grey-level clusters (k-means, deterministic seed)."""
    centres, labels = kmeans2(values.astype(np.float64)[:, None], 3, minit="++", seed=0)
    brightest = int(np.argmax(centres[:, 0]))
    return float(values[labels == brightest].min())


def _monotone_triangle(candidate: np.ndarray) -> np.ndarray:
    """Keep, per row, the run from the chest wall (column 0); below the widest row the width may only shrink.

    Above the widest row the breast itself can be narrower than the muscle (the top of the image cuts it), so
    the constraint starts there.
    """
    widths = np.where(candidate.all(axis=1), candidate.shape[1], np.argmin(candidate, axis=1))
    wall_rows = np.nonzero(widths)[0]
    result = np.zeros_like(candidate)
    if wall_rows.size == 0:
        return result
    first = int(wall_rows[0])
    gaps = np.nonzero(widths[first:] == 0)[0]
    last = first + (int(gaps[0]) if gaps.size else widths.size - first)
    run = widths[first:last].copy()
    widest = int(np.argmax(run))
    run[widest:] = np.minimum.accumulate(run[widest:])
    for offset, width in enumerate(run):
        result[first + offset, :width] = True
    return result


def find_pectoral_muscle(small: np.ndarray, breast: np.ndarray, side: str, pixel_mm: float) -> np.ndarray:
    """Pectoral muscle mask on the reduced image (bool, same shape as ``small``); all False when none is found."""
    flip = side == "right"
    image = small[:, ::-1] if flip else small
    region = breast[:, ::-1] if flip else breast
    rows = np.nonzero(region.any(axis=1))[0]
    if rows.size < 4:
        return np.zeros_like(breast)
    top, bottom = rows[0], rows[0] + (rows[-1] - rows[0]) // 2
    columns = np.nonzero(region.any(axis=0))[0]
    half_width = max(2, (columns[-1] + 1) // 2)
    window = np.zeros_like(region)
    window[top : bottom + 1, :half_width] = True
    window &= region
    if window.sum() < 50:
        return np.zeros_like(breast)
    smooth = ndimage.gaussian_filter(image, 2.0 / pixel_mm)
    bright = (smooth >= _brightest_cluster(smooth[window])) & window
    bright = ndimage.binary_opening(bright, iterations=2)
    labels, _ = ndimage.label(bright)
    wall_labels = np.unique(labels[top : top + max(3, (bottom - top) // 4), 0])
    wall_labels = wall_labels[wall_labels > 0]
    if wall_labels.size == 0:
        return np.zeros_like(breast)
    candidate = _monotone_triangle(np.isin(labels, wall_labels)) & region
    share = candidate.sum() / max(region.sum(), 1)
    if not 0.005 <= share <= 0.4:
        return np.zeros_like(breast)
    candidate = ndimage.binary_fill_holes(candidate)
    return candidate[:, ::-1] if flip else candidate
