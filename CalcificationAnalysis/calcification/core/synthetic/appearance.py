"""How a calcification looks on the image that holds it, measured the same way on real and inserted ones (issue 33):
peak contrast in tissue-range units and in local-noise units, size at half maximum and profile width.

Used to calibrate :mod:`.acquisition_blending` against real calcifications and to report the two-sample
Kolmogorov-Smirnov distance between the two (``Testing/Benchmarks/compare_blended_and_real_calcifications.py``).

Per spot (a point near its peak, input-grid pixels):

- peak = the brightest pixel within 1.5 px of the point; background = the median of the ring 2-4 px away;
  contrast = peak - background.
- ``contrast_tissue``: contrast / the image's tissue range (5th-95th percentile inside the breast).
- ``contrast_noise``: contrast / the ring's robust standard deviation (1.4826 x median absolute deviation), the
  local contrast-to-noise ratio a reader's eye works with.
- ``area_px``: pixels of the 8-connected region holding the peak at or above background + contrast / 2 inside a
  13 x 13 window (full width at half maximum, as an area).
- ``width_mm``: the equivalent-circle diameter of that area, in mm (the profile's full width at half maximum).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Column order of :func:`measure_spots`' rows.
APPEARANCE_COLUMNS = ("contrast_tissue", "contrast_noise", "area_px", "width_mm")
_HALF = 6
_ROWS, _COLS = np.mgrid[-_HALF : _HALF + 1, -_HALF : _HALF + 1]
_RADIUS = np.hypot(_ROWS, _COLS)
_CORE, _RING = _RADIUS <= 1.5, (_RADIUS >= 2) & (_RADIUS <= 4)


def tissue_range(pixels: np.ndarray, breast: np.ndarray) -> float:
    """5th-95th percentile spread of ``pixels`` inside ``breast`` (1.0 when empty or flat)."""
    values = pixels[breast][::7]
    if values.size == 0:
        return 1.0
    return float(np.percentile(values, 95) - np.percentile(values, 5)) or 1.0


def measure_window(window: np.ndarray, tissue: float, spacing_mm: float) -> tuple[float, float, float, float]:
    """The four measures (:data:`APPEARANCE_COLUMNS`) of one 13 x 13 ``window`` centred near a spot's peak."""
    window = window.astype(np.float64)
    ring = window[_RING]
    background = float(np.median(ring))
    noise = 1.4826 * float(np.median(np.abs(ring - background))) or 1e-6
    peak = float(window[_CORE].max())
    contrast = peak - background
    above, _ = ndimage.label(window >= background + 0.5 * contrast, structure=np.ones((3, 3)))
    centre = np.unravel_index(np.argmax(np.where(_CORE, window, -np.inf)), window.shape)
    area = int(np.count_nonzero(above == above[centre])) if contrast > 0 else 0
    return contrast / tissue, contrast / noise, float(area), 2.0 * np.sqrt(area / np.pi) * spacing_mm


def spot_windows(pixels: np.ndarray, points_rc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 13, 13) windows around the ``points_rc`` ((n, 2) row, col) that lie 6 px or more inside the image, and
    the indices of those points."""
    rounded = np.round(np.asarray(points_rc, float).reshape(-1, 2)).astype(int)
    inside = np.flatnonzero(
        (rounded[:, 0] >= _HALF)
        & (rounded[:, 0] < pixels.shape[0] - _HALF)
        & (rounded[:, 1] >= _HALF)
        & (rounded[:, 1] < pixels.shape[1] - _HALF)
    )
    windows = np.array(
        [pixels[r - _HALF : r + _HALF + 1, c - _HALF : c + _HALF + 1] for r, c in rounded[inside]], np.float32
    ).reshape(-1, 2 * _HALF + 1, 2 * _HALF + 1)
    return windows, inside


def measure_spots(pixels: np.ndarray, breast: np.ndarray, points_rc: np.ndarray, spacing_mm: float) -> np.ndarray:
    """(k, 4) float array of :data:`APPEARANCE_COLUMNS` for the spots at ``points_rc`` ((n, 2) input-grid row, col;
    points closer than 6 px to the border are left out).

    Parameters
    ----------
    pixels : np.ndarray, (rows, cols)
        The image, bright = dense (as stored, not normalised).
    breast : np.ndarray of bool
        The breast, for the tissue range.
    spacing_mm : float
        Pixel size, for ``width_mm``.
    """
    tissue = tissue_range(pixels, breast)
    windows, _ = spot_windows(pixels, points_rc)
    return np.array([measure_window(w, tissue, spacing_mm) for w in windows], float).reshape(-1, 4)


def instance_centroids(instances: np.ndarray) -> np.ndarray:
    """(n, 2) row, col of the centroid of each instance of ``instances`` (an int label map): the point a detector's
    candidate centroid would give, so inserted spots are measured like real candidates."""
    ids = np.unique(instances[instances > 0])
    if ids.size == 0:
        return np.zeros((0, 2))
    return np.array(ndimage.center_of_mass(np.ones(instances.shape), instances, ids), float).reshape(-1, 2)


def brightest_quarter(values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (:func:`measure_spots` output) with the top quarter of ``contrast_noise``: the spots a
    reader sees, selected the same way among real candidates and among inserted calcifications."""
    if len(values) == 0:
        return values
    cnr = values[:, 1]
    return values[cnr >= np.percentile(cnr, 75)]


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance (largest gap between the empirical distribution functions)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    if a.size == 0 or b.size == 0:
        return float("nan")
    grid = np.concatenate([a, b])
    below_a, below_b = np.searchsorted(a, grid, "right") / a.size, np.searchsorted(b, grid, "right") / b.size
    return float(np.max(np.abs(below_a - below_b)))
