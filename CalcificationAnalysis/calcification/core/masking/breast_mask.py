"""Breast region of a mammogram: breast versus background, burned-in labels and markers, and pectoral muscle.

Method (after Hossain 2019, adapted so it works on both digital and scanned-film mammograms):

1. Work on a copy reduced to about 0.5 mm pixels: the skin line needs no finer detail and this is ~50x faster.
2. Skin-air boundary: Otsu's threshold separates breast from background; film scans have a grey, noisy background,
   so a second, lower threshold (a quarter of the way from the background level to Otsu's) is grown from the Otsu
   region to recover the thin, dark skin-line band where the compressed breast gets thinner.
3. Labels and markers are bright but separate: after an opening (radius 2 mm) the largest connected component is
   the breast; holes are filled and the outline closed.
4. Pectoral muscle (lateral views only): see :mod:`.pectoral_muscle`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.morphology import disk

from ..errors import InputError
from ..image import View
from .downsampling import block_expand, block_factor, block_mean
from .pectoral_muscle import find_pectoral_muscle


@dataclass(frozen=True)
class BreastMaskConfig:
    """Settings of :func:`compute_breast_mask` (sizes in mm)."""

    working_spacing_mm: float = 0.5
    opening_radius_mm: float = 2.0
    low_threshold_fraction: float = 0.25
    min_breast_fraction: float = 0.02


@dataclass(frozen=True)
class BreastMask:
    """Breast region, full resolution, bool arrays of the image's shape.

    Attributes
    ----------
    breast : breast tissue including the pectoral muscle; background, labels and markers excluded.
    pectoral : pectoral muscle (all False for CC views or when none is found).
    chest_wall_side : ``"left"`` or ``"right"``: the image edge the breast is attached to.
    """

    breast: np.ndarray
    pectoral: np.ndarray
    chest_wall_side: str

    @property
    def analysable(self) -> np.ndarray:
        """Where calcifications are searched: breast without pectoral muscle."""
        return self.breast & ~self.pectoral


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(sizes.argmax())


def _coarse_breast(small: np.ndarray, pixel_mm: float, config: BreastMaskConfig) -> np.ndarray:
    """Breast mask of the reduced image (steps 2-3 of the module docstring)."""
    smooth = ndimage.gaussian_filter(small, 1.0)
    otsu = threshold_otsu(smooth)
    core = _largest_component(smooth > otsu)
    background = float(np.percentile(smooth, 2))
    low = background + config.low_threshold_fraction * (otsu - background)
    grown_labels, _ = ndimage.label(smooth > low)
    touching = np.unique(grown_labels[core])
    breast = np.isin(grown_labels, touching[touching > 0])
    radius = max(1, int(round(config.opening_radius_mm / pixel_mm)))
    breast = ndimage.binary_opening(breast, structure=disk(radius))
    breast = _largest_component(breast)
    breast = ndimage.binary_closing(breast, structure=disk(radius), border_value=0) | breast
    return ndimage.binary_fill_holes(breast)


def chest_wall_side(breast: np.ndarray) -> str:
    """``"left"`` or ``"right"``: the image edge the breast touches over more rows (ties: the mass centroid)."""
    left, right = int(breast[:, 0].sum()), int(breast[:, -1].sum())
    if left != right:
        return "left" if left > right else "right"
    columns = np.nonzero(breast.any(axis=0))[0]
    return "left" if columns.size and columns.mean() < breast.shape[1] / 2 else "right"


def compute_breast_mask(
    pixels: np.ndarray, spacing_mm: tuple[float, float], view: View = View.UNKNOWN, config: BreastMaskConfig = None
) -> BreastMask:
    """Find the breast (and, for lateral views, the pectoral muscle) on a mammogram.

    Parameters
    ----------
    pixels : np.ndarray, float, shape (rows, cols)
        Bright = dense (MONOCHROME2).
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm.
    view : View
        Pectoral muscle is searched for MLO, ML and LM views only.
    config : BreastMaskConfig, optional

    Returns
    -------
    BreastMask

    Raises
    ------
    InputError
        When no breast-sized region stands out from the background.
    """
    config = config or BreastMaskConfig()
    factor = block_factor(spacing_mm, config.working_spacing_mm)
    small = block_mean(pixels, factor)
    pixel_mm = min(spacing_mm) * factor
    if float(small.max()) == float(small.min()):
        raise InputError("The image is blank: no breast can be found.")
    breast_small = _coarse_breast(small, pixel_mm, config)
    if breast_small.mean() < config.min_breast_fraction:
        raise InputError("No breast region found: the image shows no tissue distinct from the background.")
    side = chest_wall_side(breast_small)
    pectoral_small = np.zeros_like(breast_small)
    if view.shows_pectoral_muscle:
        pectoral_small = find_pectoral_muscle(small, breast_small, side, pixel_mm)
    shape = pixels.shape
    return BreastMask(
        breast=block_expand(breast_small, factor, shape),
        pectoral=block_expand(pectoral_small, factor, shape),
        chest_wall_side=side,
    )
