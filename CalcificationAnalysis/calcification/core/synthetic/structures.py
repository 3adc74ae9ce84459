"""Linear structures of the breast: vessels and Cooper's ligaments, drawn as thin bright curvilinear lines.

They are the hard negatives of calcification detection: blob and line detectors fire on their crossings and bends.
Curves are sampled densely, splatted onto the coarse grid and given a Gaussian cross-section by one filter per width
class, which keeps the cost independent of the number of lines.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .anatomy import Outline


def splat_curves(
    shape: tuple[int, int], curves: list[tuple[np.ndarray, np.ndarray, float]], sigma: float
) -> np.ndarray:
    """Render curves as lines with a Gaussian cross-section of standard deviation ``sigma`` (grid cells).

    Parameters
    ----------
    shape : (int, int)
        Grid size.
    curves : list of (rows, cols, peak)
        Sample points (every half cell or closer) and the peak value of the line's profile.
    sigma : float
        Profile width in grid cells.

    Returns
    -------
    np.ndarray, float32, shape ``shape``.
    """
    canvas = np.zeros(shape, dtype=np.float64)
    for rows, cols, peak in curves:
        if rows.size < 2:
            continue
        step = np.hypot(np.diff(rows), np.diff(cols)).mean()
        # a Gaussian line of unit line density has peak 1/(sqrt(2 pi) sigma): scale the density to hit `peak`
        weight = peak * math.sqrt(2.0 * math.pi) * sigma * step
        r, c = np.rint(rows).astype(np.int64), np.rint(cols).astype(np.int64)
        keep = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
        np.add.at(canvas, (r[keep], c[keep]), weight)
    return ndimage.gaussian_filter(canvas, sigma, truncate=3.0).astype(np.float32)


def _meander(start: np.ndarray, heading: float, n_steps: int, step: float, wiggle: float, rng: np.random.Generator):
    """A smooth random curve: heading performs a random walk with ``wiggle`` radians per step."""
    headings = heading + np.cumsum(rng.normal(0.0, wiggle, n_steps))
    rows = start[0] + np.cumsum(step * np.sin(headings))
    cols = start[1] + np.cumsum(step * np.cos(headings))
    return rows, cols


def vessel_curves(
    mask: np.ndarray, nipple_rc: tuple[float, float], cell_mm: float, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Blood vessels: 3-7 meandering lines from deep tissue towards the nipple, 0.8-2.5 mm wide.

    Returns curves for :func:`splat_curves`; the peak is the extra path length (mm) of blood over fat at the centre.
    """
    inside = np.argwhere(mask)
    if inside.size == 0:
        return []
    curves = []
    depth = max(np.ptp(inside[:, 1]), 1)
    for _ in range(int(rng.integers(3, 8))):
        start = inside[rng.integers(inside.shape[0])].astype(np.float64)
        heading = math.atan2(nipple_rc[0] - start[0], nipple_rc[1] - start[1]) + rng.normal(0.0, 0.35)
        n_steps = int(depth * rng.uniform(0.6, 1.4) / 0.5)
        rows, cols = _meander(start, heading, n_steps, 0.5, 0.03, rng)
        # a vessel stops where it leaves the breast
        r, c = np.rint(rows).astype(int), np.rint(cols).astype(int)
        valid = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
        valid[valid] = mask[r[valid], c[valid]]
        stop = int(np.argmin(valid)) if not valid.all() else valid.size
        curves.append((rows[:stop], cols[:stop], rng.uniform(0.8, 2.5)))
    return curves


def ligament_curves(outline: Outline, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Cooper's ligaments: 25-60 short arcs in the subcutaneous fat, running obliquely towards the skin.

    Returns curves for :func:`splat_curves`; the peak is the extra path length (mm) of dense tissue along the sheet.
    """
    curves = []
    for _ in range(int(rng.integers(25, 61))):
        phi0 = rng.uniform(-1.45, 1.45)
        span = rng.uniform(0.04, 0.16) * rng.choice([-1.0, 1.0])
        n_points = int(abs(span) * max(outline.semi_axes) * 2.5) + 10  # about 0.4 cell apart: no beading
        phi = phi0 + np.linspace(0.0, span, n_points)
        # from the glandular surface (level ~0.8) up towards the skin (~0.97): the tented, oblique course
        level = np.linspace(rng.uniform(0.72, 0.88), rng.uniform(0.9, 0.985), phi.size)
        level += 0.02 * np.sin(np.linspace(0.0, np.pi, phi.size)) * rng.normal()
        rows, cols = outline.point(phi, level)
        curves.append((rows, cols, rng.uniform(1.0, 3.5)))
    return curves
