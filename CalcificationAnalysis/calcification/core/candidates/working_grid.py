"""The one pixel grid candidates are found and judged on, whatever the input's own pixel size.

Policy: every image is resampled to :data:`WORKING_SPACING_MM` (0.07 mm, the spacing Marasinou et al. published
their Hessian-DoG settings at and the shipped network's spacing) before detection, and the result is mapped back
to the input's grid. One fixed spacing keeps the detector's scales and the filter's features in the same units
for scanned film at 0.042-0.05 mm, digital systems at 0.07-0.1 mm and archives at 0.2 mm: a calcification of
0.3 mm is about 4 px wide on the working grid in every case. Inputs from 0.04 to 0.25 mm are accepted; finer
images are averaged down (no aliasing of film grain), coarser ones interpolated up (linear, no ringing).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import InputError

#: Pixel spacing (mm) of the working grid.
WORKING_SPACING_MM = 0.07
#: Range of input pixel sizes (mm) the candidate method was trained for.
SUPPORTED_SPACING_MM = (0.04, 0.25)


def working_shape(shape: tuple[int, int], spacing_mm: tuple[float, float]) -> tuple[int, int]:
    """Rows and columns of an image of ``shape`` at ``spacing_mm`` once resampled to the working spacing."""
    return tuple(max(1, int(round(n * s / WORKING_SPACING_MM))) for n, s in zip(shape, spacing_mm, strict=True))


def check_spacing(spacing_mm: tuple[float, float]) -> None:
    """InputError when the pixel size lies outside :data:`SUPPORTED_SPACING_MM`."""
    low, high = SUPPORTED_SPACING_MM
    if not all(low <= s <= high for s in spacing_mm):
        raise InputError(
            f"The candidate method works on mammograms with pixels of {low:g}-{high:g} mm; this image has "
            f"{spacing_mm[0]:g} x {spacing_mm[1]:g} mm. Check the pixel spacing (--spacing MM) or use another method."
        )


def to_working_grid(array: np.ndarray, shape: tuple[int, int], order: int) -> np.ndarray:
    """``array`` resampled to exactly ``shape`` (pixel-edge aligned). Shrinking by two or more first averages
    whole blocks, the way a coarser detector integrates over its larger pixels."""
    if array.shape == tuple(shape):
        return array
    work = np.asarray(array, np.float32) if order > 0 else array
    if order > 0:
        block = [max(1, int(n // s)) for n, s in zip(array.shape, shape, strict=True)]
        if max(block) >= 2:
            rows, cols = (n // b * b for n, b in zip(array.shape, block, strict=True))
            work = work[:rows, :cols].reshape(rows // block[0], block[0], cols // block[1], block[1]).mean((1, 3))
    factors = (shape[0] / work.shape[0], shape[1] / work.shape[1])
    out = ndimage.zoom(work, factors, order=order, mode="nearest", grid_mode=True)
    if out.shape != tuple(shape):  # zoom rounds the output shape; trim or edge-pad the odd pixel
        pad = [(0, max(0, s - o)) for s, o in zip(shape, out.shape, strict=True)]
        out = np.pad(out[: shape[0], : shape[1]], pad, mode="edge")
    return out


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Means of ``factor`` x ``factor`` blocks, the last row and column of blocks completed by edge padding: the
    grid smooth, wide-scale maps are computed on (noise, tissue, vessel ridges) before being read back at points."""
    rows, cols = (-(-n // factor) * factor for n in image.shape)
    padded = np.pad(image, [(0, rows - image.shape[0]), (0, cols - image.shape[1])], mode="edge")
    return padded.reshape(rows // factor, factor, cols // factor, factor).mean((1, 3))


def labels_to_input_grid(labels: np.ndarray, centroids_rc: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Instance labels from the working grid back on the input grid (nearest neighbour). A calcification smaller
    than one input pixel would vanish; it keeps the input pixel under its centroid instead (``centroids_rc``: (n, 2)
    in input-grid pixels, row i for label i + 1), so every kept candidate stays one object."""
    out = to_working_grid(labels, shape, order=0).astype(np.int32, copy=False)
    count = len(centroids_rc)
    if count == 0:
        return out
    present = np.zeros(count + 1, bool)
    present[np.unique(out)] = True
    missing = np.nonzero(~present[1:])[0]
    rows = np.clip(np.round(centroids_rc[missing, 0]).astype(int), 0, shape[0] - 1)
    cols = np.clip(np.round(centroids_rc[missing, 1]).astype(int), 0, shape[1] - 1)
    free = out[rows, cols] == 0
    out[rows[free], cols[free]] = missing[free] + 1
    return out
