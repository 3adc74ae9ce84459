"""Reference for the per-calcification rectangle and Feret diameter: the Qhull computation the library used before
issue 22, kept here (not in the library) so a test can check the faster lattice hull gives the same values."""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull

_PIXEL_CORNERS = np.array([[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]])


def rectangle_and_feret_qhull(edge: np.ndarray, spacing: tuple[float, float]) -> tuple[float, float, float]:
    """(long side, short side, max Feret) in mm of the boundary pixels ``edge``, exactly as computed before."""
    rr, cc = np.nonzero(edge)
    centres = np.stack([cc, rr], axis=1).astype(np.float64)
    corners = ((centres[:, None, :] + _PIXEL_CORNERS[None, :, :]) * (spacing[1], spacing[0])).reshape(-1, 2)
    hull = corners[ConvexHull(corners).vertices]
    directions = np.roll(hull, -1, axis=0) - hull
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    along = hull @ directions.T
    across = hull @ np.stack([-directions[:, 1], directions[:, 0]], axis=1).T
    widths = along.max(axis=0) - along.min(axis=0)
    heights = across.max(axis=0) - across.min(axis=0)
    best = int(np.argmin(widths * heights))
    pairwise = np.linalg.norm(hull[:, None, :] - hull[None, :, :], axis=2)
    return max(widths[best], heights[best]), min(widths[best], heights[best]), float(pairwise.max())
