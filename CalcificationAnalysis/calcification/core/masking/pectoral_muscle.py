"""Pectoral muscle on lateral (MLO) views, after Hossain 2019: clustering plus a geometric constraint.

The muscle is the bright, roughly triangular region in the top corner at the chest wall. Inside the top half of the
breast and the 80% of its width nearest the chest wall (the breast's own edge, so black padding does not matter),
intensities are split into three clusters (k-means on grey levels); the brightest cluster's component touching the
chest-wall edge near the top is the muscle candidate. Dense glandular tissue can join it, so the candidate is made
triangle-like: below its widest row its width may only shrink going down, and rows below the first row where it
vanishes are dropped (above the widest row the image edge may cut the breast). Implausible results (below 0.5% or
above 40% of the breast) are discarded: no muscle is better than a wrong one that hides calcifications.
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


#: Share of the breast's rows (from its top) and of its width (from the chest wall) searched for the muscle.
#: Measured on 4 DDSM and 10 mini-MIAS MLO views: 0.65 of the height let dense tissue join the muscle; at the top
#: the muscle spans up to ~80% of the breast width (0.5 cut it on DDSM).
WINDOW_ROWS_FRACTION = 0.5
WINDOW_COLUMNS_FRACTION = 0.8


def _chest_wall_left(small: np.ndarray, breast: np.ndarray, side: str):
    """The breast's columns, flipped so the chest wall is column 0: (image, breast, column slice of ``small``).

    Cropping to the breast's own columns matters for scans padded with black (mini-MIAS): the chest wall is then
    the breast's edge, not the image's.
    """
    columns = np.nonzero(breast.any(axis=0))[0]
    cols = slice(int(columns[0]), int(columns[-1]) + 1)
    image, region = small[:, cols], breast[:, cols]
    if side == "right":
        image, region = image[:, ::-1], region[:, ::-1]
    return image, region, cols


def find_pectoral_muscle(small: np.ndarray, breast: np.ndarray, side: str, pixel_mm: float) -> np.ndarray:
    """Pectoral muscle mask on the reduced image (bool, same shape as ``small``); all False when none is found."""
    muscle = np.zeros_like(breast)
    rows = np.nonzero(breast.any(axis=1))[0]
    if rows.size < 4:
        return muscle
    image, region, cols = _chest_wall_left(small, breast, side)
    top = int(rows[0])
    bottom = top + int(WINDOW_ROWS_FRACTION * (rows[-1] - rows[0]))
    window = np.zeros_like(region)
    window[top : bottom + 1, : max(2, int(WINDOW_COLUMNS_FRACTION * region.shape[1]))] = True
    window &= region
    if window.sum() < 50:
        return muscle
    smooth = ndimage.gaussian_filter(image, 2.0 / pixel_mm)
    bright = (smooth >= _brightest_cluster(smooth[window])) & window
    bright = ndimage.binary_opening(bright, iterations=2)
    labels, _ = ndimage.label(bright)
    # Touching the chest wall: within 2 mm of it (a scan's edge column is often a dim partial pixel).
    wall_columns = max(1, int(round(2.0 / pixel_mm)))
    wall_labels = np.unique(labels[top : top + max(3, (bottom - top) // 4), :wall_columns])
    wall_labels = wall_labels[wall_labels > 0]
    if wall_labels.size == 0:
        return muscle
    candidate = np.isin(labels, wall_labels)
    candidate[:, :wall_columns] |= candidate[:, :wall_columns].any(axis=1, keepdims=True)
    candidate = _monotone_triangle(candidate) & region
    share = candidate.sum() / max(region.sum(), 1)
    if not 0.005 <= share <= 0.4:
        return muscle
    candidate = ndimage.binary_fill_holes(candidate)
    muscle[:, cols] = candidate[:, ::-1] if side == "right" else candidate
    return muscle
