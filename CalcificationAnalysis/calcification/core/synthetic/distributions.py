"""Where the calcifications of a group lie: the five BI-RADS distributions, as candidate centre positions.

BI-RADS (5th ed.): *grouped* - at least 5 calcifications within 1 cm (here a disc of 2-5 mm radius, so every group
holds >= 5 within 1 cm^2); *linear* - along a line (a duct), towards the nipple; *segmental* - a wedge (a duct and
its branches) with its apex towards the nipple; *regional* - a large area (> 2 cm) not following a duct; *diffuse* -
scattered throughout the breast.
"""

from __future__ import annotations

import math

import numpy as np

from .config import Distribution, Morphology

#: Inclusive range of the number of calcifications per group.
COUNT_RANGE = {
    Distribution.DIFFUSE: (12, 30),
    Distribution.REGIONAL: (8, 20),
    Distribution.GROUPED: (5, 14),
    Distribution.LINEAR: (5, 12),
    Distribution.SEGMENTAL: (12, 28),
}
#: Large benign types appear in small numbers (a few popcorn or rim calcifications, not dozens).
LARGE_MORPHOLOGIES = frozenset({Morphology.COARSE_POPCORN, Morphology.RIM_EGGSHELL, Morphology.LARGE_ROD})
#: A grouped distribution must hold at least this many calcifications (BI-RADS).
MIN_GROUPED = 5


def draw_count(distribution: Distribution, morphology: Morphology, rng: np.random.Generator) -> int:
    """Number of calcifications to draw for a group."""
    low, high = COUNT_RANGE[distribution]
    count = int(rng.integers(low, high + 1))
    if morphology in LARGE_MORPHOLOGIES and distribution != Distribution.GROUPED:
        count = max(2, count // 3)
    return count


def candidate_positions(
    distribution: Distribution,
    anchor_rc: tuple[float, float],
    towards_nipple: float,
    n: int,
    spacing_mm: float,
    rng: np.random.Generator,
    placement_cells: np.ndarray | None = None,
    factor: int = 1,
) -> np.ndarray:
    """Candidate centres for ``n`` calcifications of one group (more may be rejected by the caller).

    Parameters
    ----------
    distribution : Distribution
    anchor_rc : (float, float)
        Group anchor in pixels: centre (grouped, regional), start of the line, or apex of the wedge.
    towards_nipple : float
        Direction (radians, atan2(d_row, d_col)) from the anchor to the nipple: ducts run along it.
    n : int
        Number of candidates.
    spacing_mm : float
        Pixel spacing.
    rng : numpy.random.Generator
    placement_cells, factor
        For ``DIFFUSE``: (k, 2) anatomy-grid cells where calcifications may lie, and pixels per cell.

    Returns
    -------
    np.ndarray, int64, shape (n, 2)
        Pixel (row, column) centres.
    """
    mm = 1.0 / spacing_mm
    u = rng.random(n)
    if distribution == Distribution.DIFFUSE:
        cells = placement_cells[rng.integers(len(placement_cells), size=n)]
        points = (cells + rng.random((n, 2))) * factor
        return np.floor(points).astype(np.int64)
    if distribution == Distribution.GROUPED:
        radius, angle = rng.uniform(2.0, 5.0) * mm * np.sqrt(u), rng.uniform(0, 2 * math.pi, n)
    elif distribution == Distribution.REGIONAL:
        a, b, tilt = rng.uniform(10.0, 20.0) * mm, rng.uniform(7.0, 14.0) * mm, rng.uniform(0, math.pi)
        angle0 = rng.uniform(0, 2 * math.pi, n)
        scale = np.sqrt(u)
        dy, dx = a * scale * np.cos(angle0), b * scale * np.sin(angle0)
        c, s = math.cos(tilt), math.sin(tilt)
        return np.rint(np.stack([anchor_rc[0] + dy * c + dx * s, anchor_rc[1] - dy * s + dx * c], 1)).astype(np.int64)
    elif distribution == Distribution.LINEAR:
        radius = rng.uniform(8.0, 25.0) * mm * u
        angle = towards_nipple + rng.normal(0.0, 0.4 / 10.0, n)  # about 0.4 mm off the duct axis at 1 cm
    else:  # segmental: a wedge opening away from the nipple
        radius = rng.uniform(18.0, 35.0) * mm * np.sqrt(u)
        half_angle = rng.uniform(0.15, 0.35)
        angle = towards_nipple + math.pi + rng.uniform(-half_angle, half_angle, n)
    rows = anchor_rc[0] + radius * np.sin(angle)
    cols = anchor_rc[1] + radius * np.cos(angle)
    return np.rint(np.stack([rows, cols], 1)).astype(np.int64)
