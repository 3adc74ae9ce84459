"""Breast geometry of a synthetic view: outline, nipple, pectoral muscle and the compressed-thickness profile.

Everything here works on the coarse anatomy grid (cells of about 0.28 mm); :mod:`.background` upsamples the result.
The chest wall is at column 0 (a left breast); :mod:`.background` mirrors the arrays for a right breast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..image import View


@dataclass(frozen=True)
class Outline:
    """A breast outline: a tilted ellipse centred on the chest wall, with a few low-order harmonics for shape.

    Attributes
    ----------
    center_rc : (float, float)
        Ellipse centre in grid cells (on the chest wall, column 0).
    semi_axes : (float, float)
        (depth along the nipple axis, half-height across it), in grid cells.
    tilt : float
        Angle of the nipple axis below the horizontal, radians (0 for CC, 15-25 degrees for MLO).
    harmonics : np.ndarray, shape (k, 3)
        Rows (order, amplitude, phase) of the radial perturbation.
    """

    center_rc: tuple[float, float]
    semi_axes: tuple[float, float]
    tilt: float
    harmonics: np.ndarray

    def radius_scale(self, phi: np.ndarray) -> np.ndarray:
        """Relative outline radius (1 = plain ellipse) at polar angle ``phi`` around the centre."""
        scale = np.ones_like(phi)
        for order, amplitude, phase in self.harmonics:
            scale = scale + amplitude * np.cos(order * phi + phase)
        return scale

    def to_grid(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map ellipse-frame coordinates (u along the nipple axis, v across it; cells) to grid (row, column)."""
        c, s = math.cos(self.tilt), math.sin(self.tilt)
        return self.center_rc[0] + u * s + v * c, self.center_rc[1] + u * c - v * s

    def point(self, phi: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid (row, column) of the point at angle ``phi`` and relative radius ``level`` (1 = on the outline)."""
        scale = self.radius_scale(phi) * level
        return self.to_grid(self.semi_axes[0] * scale * np.cos(phi), self.semi_axes[1] * scale * np.sin(phi))

    @property
    def nipple_rc(self) -> tuple[float, float]:
        """Grid (row, column) of the nipple, where the nipple axis meets the outline."""
        row, col = self.point(np.zeros(1), np.ones(1))
        return float(row[0]), float(col[0])


def draw_outline(shape: tuple[int, int], view: View, rng: np.random.Generator) -> Outline:
    """Draw a plausible outline for a ``view`` (CC or MLO) filling a grid of ``shape`` cells.

    CC: a half-ellipse about 80-90 % of the width deep, centred vertically. MLO: taller than the image and tilted
    down so the axillary tail runs off the top edge along the chest wall, as on real MLO views.
    """
    rows, cols = shape
    if view == View.MLO:
        center = (rows * rng.uniform(0.36, 0.44), 0.0)
        axes = (cols * rng.uniform(0.72, 0.86), rows * rng.uniform(0.52, 0.60))
        tilt = math.radians(rng.uniform(14.0, 24.0))
    else:
        center = (rows * rng.uniform(0.46, 0.54), 0.0)
        axes = (cols * rng.uniform(0.62, 0.80), rows * rng.uniform(0.38, 0.46))
        tilt = math.radians(rng.uniform(-4.0, 4.0))
    orders = np.arange(2, 6, dtype=np.float64)
    harmonics = np.stack([orders, rng.normal(0.0, 0.015, orders.size), rng.uniform(0, 2 * np.pi, orders.size)], 1)
    return Outline(center, axes, tilt, harmonics)


def outline_mask(outline: Outline, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask (rows, columns) of the grid cells inside ``outline``."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    dy, dx = rows - outline.center_rc[0], cols - outline.center_rc[1]
    c, s = math.cos(outline.tilt), math.sin(outline.tilt)
    u, v = dx * c + dy * s, dy * c - dx * s
    phi = np.arctan2(v / outline.semi_axes[1], u / outline.semi_axes[0])
    rho = np.hypot(u / outline.semi_axes[0], v / outline.semi_axes[1])
    return rho < outline.radius_scale(phi)


def pectoral_mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of the pectoral muscle of an MLO view: a slightly convex triangle in the upper chest-wall corner.

    Its edge runs from 22-38 % of the width on the top border to 35-55 % of the height on the chest wall.
    """
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    top_width = shape[1] * rng.uniform(0.22, 0.38)
    wall_height = shape[0] * rng.uniform(0.35, 0.55)
    convexity = rng.uniform(1.0, 1.35)  # >1 bulges the edge into the breast, as the muscle usually does
    return (cols / top_width) ** convexity + (rows / wall_height) ** convexity < 1.0


def skin_distance_mm(mask: np.ndarray, cell_mm: float) -> np.ndarray:
    """Distance (mm) of every cell inside ``mask`` to the skin line; image borders are not skin.

    Returns
    -------
    np.ndarray, float32, same shape as ``mask``; 0 outside the breast.
    """
    pad = 8
    padded = np.pad(mask, pad, mode="edge")  # tissue cut by the border continues beyond it: no skin there
    distance = ndimage.distance_transform_edt(padded)[pad:-pad, pad:-pad]
    return (distance * cell_mm).astype(np.float32)


def thickness_profile(skin_mm: np.ndarray, total_mm: float, skin_wall_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Path lengths (mm) through the compressed breast: whole breast and tissue under the skin.

    The uncompressed periphery is modelled as a half-cylinder of diameter ``total_mm`` (the standard semicircular
    edge model, e.g. Highnam and Brady 1999), giving the thickness fall-off towards the skin line.

    Returns
    -------
    total, inner : np.ndarray, float32
        Path length through the whole breast and through the tissue inside the skin; their difference is the path
        through the skin, which draws the bright skin line.
    """
    radius = total_mm / 2.0
    d = np.minimum(skin_mm, radius)
    total = 2.0 * np.sqrt(np.maximum(radius**2 - (radius - d) ** 2, 0.0))
    inner_radius = radius - skin_wall_mm
    inner = 2.0 * np.sqrt(np.maximum(inner_radius**2 - (radius - d) ** 2, 0.0))
    inside = skin_mm > 0
    return (total * inside).astype(np.float32), (inner * inside).astype(np.float32)
