"""Make a click at the centre of a calcification outline it.

Slicer's level tracing uses the clicked pixel's own value as the threshold and traces the 8-connected region at or
above it; clicked at the centre (the brightest pixel) that region is the pixel itself. Here the click is snapped
to the brightest pixel within a small radius, the level is set half way between that peak and the local
background (the half-maximum outline, the usual size of a blurred object), and the seed handed to the level
tracing filter is the darkest pixel on the edge of the connected region at or above that level. The filter only
traces from a seed on a region's edge, and its threshold is the seed's value; seeded there it outlines that
region (a darker pixel enclosed inside it is inside the outline too).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import InputError


def snap_to_peak(image: np.ndarray, row: int, col: int, radius_px: float) -> tuple[int, int]:
    """The brightest pixel of ``image`` within ``radius_px`` of (row, col) (the click itself at radius 0)."""
    if not (0 <= row < image.shape[0] and 0 <= col < image.shape[1]):
        raise InputError(f"The click ({row}, {col}) is outside the image ({image.shape[0]} x {image.shape[1]}).")
    r = int(np.floor(radius_px))
    r0, r1 = max(row - r, 0), min(row + r + 1, image.shape[0])
    c0, c1 = max(col - r, 0), min(col + r + 1, image.shape[1])
    rows, cols = np.mgrid[r0:r1, c0:c1]
    inside = (rows - row) ** 2 + (cols - col) ** 2 <= radius_px**2
    values = np.where(inside, image[r0:r1, c0:c1], -np.inf)
    peak = np.unravel_index(int(np.argmax(values)), values.shape)
    return r0 + int(peak[0]), c0 + int(peak[1])


def half_maximum_level(
    image: np.ndarray, row: int, col: int, ring_px: tuple[float, float], fraction: float = 0.5
) -> float:
    """background + ``fraction`` x (peak - background), with the peak at (row, col) and the background the median
    of the ring between ``ring_px[0]`` and ``ring_px[1]`` pixels around it (0.5: the half maximum)."""
    inner, outer = ring_px
    r = int(np.ceil(outer))
    r0, r1 = max(row - r, 0), min(row + r + 1, image.shape[0])
    c0, c1 = max(col - r, 0), min(col + r + 1, image.shape[1])
    rows, cols = np.mgrid[r0:r1, c0:c1]
    distance2 = (rows - row) ** 2 + (cols - col) ** 2
    ring = (distance2 >= inner**2) & (distance2 <= outer**2)
    background = float(np.median(image[r0:r1, c0:c1][ring]))
    return background + fraction * (float(image[row, col]) - background)


def region_at_level(image: np.ndarray, row: int, col: int, level: float) -> np.ndarray:
    """The 8-connected region of pixels >= ``level`` that contains (row, col) (empty when that pixel is below)."""
    above = image >= level
    if not above[row, col]:
        return np.zeros(image.shape, bool)
    labels, _ = ndimage.label(above, structure=np.ones((3, 3), bool))
    return labels == labels[row, col]


def seed_for_level(image: np.ndarray, row: int, col: int, level: float) -> tuple[int, int]:
    """A seed on the edge of :func:`region_at_level` whose value, used as threshold by level tracing, outlines it:
    the darkest edge pixel (an edge pixel has a 4-neighbour outside the region)."""
    region = region_at_level(image, row, col, level)
    if not region.any():
        return row, col
    edge = region & ~ndimage.binary_erosion(region, border_value=0)
    values = np.where(edge, image, np.inf)
    seed = np.unravel_index(int(np.argmin(values)), values.shape)
    return int(seed[0]), int(seed[1])
