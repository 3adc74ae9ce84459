"""Synthetic mammogram backgrounds: the attenuation a compressed breast casts, before calcifications and noise.

The model is the usual one of anthropomorphic mammography simulation (Bakic et al., Med. Phys. 2002; Bliznakova
2003): a compressed breast of thickness T with a semicircular periphery, made of fat and fibroglandular tissue whose
projected fraction follows a power-law texture (beta about 3), plus skin, pectoral muscle, vessels and Cooper's
ligaments. Pixel values are proportional to the log-attenuation (line integral of mu), as in a 'for presentation'
image: air is dark, dense tissue and calcium bright (MONOCHROME2).

All anatomy is computed on a coarse grid (about 0.28 mm cells) and upsampled once: with beta = 3 the parenchyma has
almost no power at finer scales, and it keeps a full-field case to about a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..image import Laterality, View
from .anatomy import draw_outline, outline_mask, pectoral_mask, skin_distance_mm, thickness_profile
from .config import BreastDensity, SynthesisConfig
from .structures import ligament_curves, splat_curves, vessel_curves
from .texture import lobule_network, power_law_field, radial_texture

#: Size of an anatomy-grid cell in mm; the factor to the image grid is rounded from it.
ANATOMY_CELL_MM = 0.28
#: Skin thickness in mm (1.5-2 mm in compressed breasts).
SKIN_MM = 1.5
#: Calcifications are only centred this far (mm) inside the skin line and the image border.
PLACEMENT_MARGIN_MM = 6.0


@dataclass(frozen=True)
class Background:
    """A background ready for calcifications.

    Attributes
    ----------
    attenuation : np.ndarray, float32, (rows, columns)
        Line integral of the linear attenuation coefficient (dimensionless) on the image grid.
    breast_mask : np.ndarray, bool, (rows, columns)
        Pixels inside the breast outline (all True for a crop).
    placement_low : np.ndarray, bool, anatomy grid
        Cells where a calcification may be centred (inside the breast, off the skin, off the pectoral muscle).
    glandular_low : np.ndarray, float32, anatomy grid
        Fraction of the tissue path that is fibroglandular, in [0, 1).
    factor : int
        Image pixels per anatomy cell along each axis.
    nipple_rc : (float, float)
        Nipple position in image pixels (outside the image for crops).
    thickness_mm : float
        Compressed breast thickness.
    """

    attenuation: np.ndarray
    breast_mask: np.ndarray
    placement_low: np.ndarray
    glandular_low: np.ndarray
    factor: int
    nipple_rc: tuple[float, float]
    thickness_mm: float


def _smoothstep(x: np.ndarray, low: float, high: float) -> np.ndarray:
    t = np.clip((x - low) / (high - low), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def glandular_fraction(
    region: np.ndarray,
    skin_mm: np.ndarray,
    nipple_rc: tuple[float, float],
    cell_mm: float,
    density: BreastDensity,
    rng: np.random.Generator,
    full_view: bool = True,
) -> np.ndarray:
    """Projected fibroglandular fraction on the anatomy grid, in [0, 0.8], zero outside ``region``.

    A radial (duct-following) and an isotropic power-law field are mixed, damped in the subcutaneous and
    retromammary fat, gathered behind the nipple in a full view (``full_view``), and thresholded at the quantile
    that gives the BI-RADS category's dense-area share.
    """
    rows, cols = region.shape
    axis = math.atan2(rows / 2.0 - nipple_rc[0], 0.0 - nipple_rc[1])
    radial = radial_texture(region.shape, cell_mm, nipple_rc, axis, 3.0, rng)
    isotropic = power_law_field(region.shape, 3.0, rng)
    lobules = power_law_field(region.shape, 2.2, rng)  # finer, rounder fat lobules inside dense tissue
    score = 0.75 * radial + 0.55 * isotropic + 0.25 * lobules
    column_mm = np.arange(cols, dtype=np.float32)[None, :] * cell_mm
    envelope = _smoothstep(skin_mm, 2.0, 16.0) * _smoothstep(column_mm, 0.0, 6.0)
    score = score + 3.0 * (envelope - 1.0)
    if full_view:  # a full view: fibroglandular tissue gathers in a cone behind the nipple
        row_idx = np.arange(rows, dtype=np.float32)[:, None]
        col_idx = np.arange(cols, dtype=np.float32)[None, :]
        depth = max(nipple_rc[1], 1.0)
        centre = (nipple_rc[0], 0.45 * depth)
        distance = np.hypot(row_idx - centre[0], (col_idx - centre[1]) * 1.4) / depth
        score = score + 1.3 * np.exp(-((distance / 0.55) ** 2))
    if not region.any():
        return np.zeros(region.shape, np.float32)
    threshold = np.quantile(score[region], 1.0 - density.glandular_fraction)
    # a soft threshold: partial-volume projection of tissue strands leaves texture in fatty and dense areas alike
    gland = 0.78 / (1.0 + np.exp(-(score - threshold) / 0.45)) + 0.06 * lobules
    # septa add thin dense strands in fat and carve rounded fat lobules out of dense tissue
    septa = lobule_network(region.shape, cell_mm, rng, lobule_mm=rng.uniform(3.0, 6.0))
    gland = gland * (0.85 + 0.15 * septa) + 0.07 * septa * (0.8 - gland)
    return (np.clip(gland, 0.0, 0.85) * region).astype(np.float32)


def _geometry(config: SynthesisConfig, view: View, low_shape: tuple[int, int], cell_mm: float, rng):
    """Breast mask, pectoral mask, nipple and skin distance on the anatomy grid (chest wall at column 0)."""
    if config.crop:
        mask = np.ones(low_shape, bool)
        angle = rng.uniform(-math.pi, math.pi)  # a crop sees ducts running towards a nipple outside it
        reach = 0.5 * max(low_shape) + 50.0 / cell_mm
        nipple = (low_shape[0] / 2 + reach * math.sin(angle), low_shape[1] / 2 + reach * math.cos(angle))
        return mask, np.zeros(low_shape, bool), nipple, np.full(low_shape, 1e3, np.float32), None
    outline = draw_outline(low_shape, view, rng)
    mask = outline_mask(outline, low_shape)
    pectoral = pectoral_mask(low_shape, rng) & mask if view == View.MLO else np.zeros(low_shape, bool)
    return mask, pectoral, outline.nipple_rc, skin_distance_mm(mask, cell_mm), outline


def _lines(mask, outline, nipple, cell_mm, rng) -> np.ndarray:
    """Extra path length (mm) of dense tissue along vessels and Cooper's ligaments, on the anatomy grid."""
    vessels = splat_curves(mask.shape, vessel_curves(mask, nipple, cell_mm, rng), sigma=0.45 / cell_mm)
    lines = vessels
    if outline is not None:
        lines = lines + splat_curves(mask.shape, ligament_curves(outline, rng), sigma=0.22 / cell_mm)
    return lines * mask


def make_background(
    config: SynthesisConfig, density: BreastDensity, view: View, laterality: Laterality, rng: np.random.Generator
) -> Background:
    """Draw the background attenuation of one case.

    Parameters
    ----------
    config : SynthesisConfig
        Image size, spacing, crop or full view, imaging physics.
    density, view, laterality
        Drawn by the caller; ``Laterality.RIGHT`` mirrors the image (chest wall on the right).
    rng : numpy.random.Generator
        Per-case generator; draws happen in a fixed order, so a seed gives bit-identical output.

    Returns
    -------
    Background
    """
    imaging = config.imaging
    factor = max(1, round(ANATOMY_CELL_MM / config.spacing_mm))
    cell_mm = factor * config.spacing_mm
    low_shape = (-(-config.shape[0] // factor), -(-config.shape[1] // factor))
    thickness = float(rng.uniform(*imaging.compressed_thickness_mm))
    mask, pectoral, nipple, skin_mm, outline = _geometry(config, view, low_shape, cell_mm, rng)
    total, inner = thickness_profile(skin_mm, thickness, SKIN_MM)
    gland = glandular_fraction(mask & ~pectoral, skin_mm, nipple, cell_mm, density, rng, not config.crop)
    mu_tissue = imaging.mu_fat_per_mm + gland * (imaging.mu_gland_per_mm - imaging.mu_fat_per_mm)
    # the muscle thickens away from its edge; it replaces breast tissue along part of the ray
    muscle = _smoothstep(ndimage.distance_transform_edt(pectoral) * cell_mm, 0.0, 25.0) * 0.6
    muscle *= 1.0 + 0.15 * power_law_field(mask.shape, 3.0, rng, stretch=4.0)  # fibre bundles along the muscle
    mu_tissue = mu_tissue * (1.0 - muscle) + imaging.mu_muscle_per_mm * muscle
    lines = _lines(mask, outline, nipple, cell_mm, rng) * (imaging.mu_gland_per_mm - imaging.mu_fat_per_mm)
    attenuation = imaging.mu_skin_per_mm * (total - inner) + mu_tissue * inner + lines
    margin = PLACEMENT_MARGIN_MM / cell_mm
    placement = ndimage.binary_erosion(mask & ~pectoral, iterations=1) & (skin_mm > PLACEMENT_MARGIN_MM)
    placement[: int(margin)], placement[-int(margin) - 1 :] = False, False
    placement[:, : int(margin)], placement[:, -int(margin) - 1 :] = False, False
    if laterality == Laterality.RIGHT:
        attenuation, placement, gland = attenuation[:, ::-1], placement[:, ::-1], gland[:, ::-1]
        nipple = (nipple[0], low_shape[1] - 1 - nipple[1])
    full = ndimage.zoom(
        np.ascontiguousarray(attenuation, dtype=np.float32),
        (config.shape[0] / low_shape[0], config.shape[1] / low_shape[1]),
        order=1,
        grid_mode=True,
        mode="nearest",
    )
    breast = full > 0.05 if not config.crop else np.ones(config.shape, bool)
    nipple_full = ((nipple[0] + 0.5) * factor - 0.5, (nipple[1] + 0.5) * factor - 0.5)
    return Background(
        full, breast, np.ascontiguousarray(placement), np.ascontiguousarray(gland), factor, nipple_full, thickness
    )
