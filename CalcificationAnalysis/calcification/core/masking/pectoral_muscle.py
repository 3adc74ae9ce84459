"""Pectoral muscle on lateral (MLO) views, after Hossain 2019: clustering plus a geometric constraint.

The muscle is the bright, roughly triangular region in the top corner at the chest wall. Inside the top half of the
breast on the chest-wall side, intensities are split into three clusters (k-means on grey levels); the brightest
cluster's component touching the chest-wall edge near the top is the muscle candidate. Dense glandular tissue can
join it, so the candidate is made triangle-like: its width along each row may only shrink going down, and rows
below the first row where it vanishes are dropped. Implausible results (below 0.5% or above 40% of the breast)
are discarded: no muscle is better than a wrong one that hides calcifications.
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
    """Keep, row by row from the top, a run from the chest wall whose width never grows going down."""
    result = np.zeros_like(candidate)
    width_limit = candidate.shape[1]
    wall_rows = np.nonzero(candidate[:, 0])[0]
    if wall_rows.size == 0:
        return result
    for row in range(int(wall_rows[0]), candidate.shape[0]):
        run = candidate[row]
        width = int(np.argmin(run)) if not run.all() else run.size  # contiguous run from the wall (column 0)
        width = min(width, width_limit)
        if width == 0:
            break
        result[row, :width] = True
        width_limit = width
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
