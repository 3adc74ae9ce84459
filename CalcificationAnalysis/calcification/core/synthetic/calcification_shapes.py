"""Single calcifications with BI-RADS morphology, as 3D solids projected onto the detector.

Each calcification is a union of 'capsules' (spheres swept along a segment: round specks, rods, linear and branching
casts) or a spherical shell (rim / eggshell). The projected calcium path length at a pixel is the chord of the solid
along the ray, 2 sqrt(r^2 - d^2) for a capsule at distance d from its axis, which gives the dense-centre, soft-edge
profile of real calcifications; the ground-truth mask is every pixel whose centre lies inside the projected solid.
Sizes follow the BI-RADS Atlas (5th ed.) and Terrassin et al. (SPIE Medical Imaging 2024): 0.1 mm to about 3 mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import Morphology

#: Largest nominal size (mm) of a drawn calcification.
MAX_SIZE_MM = 3.0
#: Relative calcium density (fraction of the effective calcium attenuation): amorphous deposits are faint and hazy.
_DENSITY = {
    Morphology.AMORPHOUS: (0.25, 0.45),
    Morphology.FINE_PLEOMORPHIC: (0.6, 0.95),
    Morphology.FINE_LINEAR_BRANCHING: (0.6, 0.9),
    Morphology.COARSE_HETEROGENEOUS: (0.7, 1.0),
}


@dataclass(frozen=True)
class CalcificationShape:
    """A calcification in millimetres, centred on the origin.

    Attributes
    ----------
    morphology : Morphology
    capsules : np.ndarray, float64, shape (n, 5)
        Rows (y0, x0, y1, x1, radius) in mm.
    shell : tuple or None
        (outer radius, wall thickness) in mm for rim / eggshell calcifications.
    density : float
        Relative calcium density in (0, 1].
    """

    morphology: Morphology
    capsules: np.ndarray
    shell: tuple[float, float] | None
    density: float

    @property
    def extent_mm(self) -> float:
        """Diameter of the smallest origin-centred circle holding the shape: the nominal size."""
        if self.shell is not None:
            return 2.0 * self.shell[0]
        ends = np.concatenate([self.capsules[:, 0:2], self.capsules[:, 2:4]])
        radii = np.concatenate([self.capsules[:, 4], self.capsules[:, 4]])
        return float(2.0 * np.max(np.hypot(ends[:, 0], ends[:, 1]) + radii))


def _capsule(y0, x0, y1, x1, r) -> list[float]:
    return [y0, x0, y1, x1, r]


def _blobs(rng, n: tuple[int, int], spread: float, radius: tuple[float, float]) -> list[list[float]]:
    """A central blob plus satellites within ``spread`` mm: irregular, lobulated outlines."""
    blobs = [_capsule(0, 0, 0, 0, rng.uniform(*radius))]
    for _ in range(int(rng.integers(n[0], n[1] + 1)) - 1):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0.3, 1.0) * spread
        y, x = dist * math.sin(angle), dist * math.cos(angle)
        blobs.append(_capsule(y, x, y + rng.normal(0, spread / 4), x + rng.normal(0, spread / 4), rng.uniform(*radius)))
    return blobs


def _rod(rng, length: float, radius: float, angle: float) -> list[list[float]]:
    dy, dx = 0.5 * length * math.sin(angle), 0.5 * length * math.cos(angle)
    return [_capsule(-dy, -dx, dy, dx, radius)]


def _branching(rng, angle: float) -> list[list[float]]:
    """Fine linear / branching casting: a thin ductal cast of 2-4 segments with side branches, 0.5-3 mm long."""
    radius = rng.uniform(0.05, 0.1)
    segments, point, heading = [], np.zeros(2), angle
    for _ in range(int(rng.integers(2, 5))):
        length = rng.uniform(0.25, 0.8)
        end = point + length * np.array([math.sin(heading), math.cos(heading)])
        segments.append(_capsule(point[0], point[1], end[0], end[1], radius * rng.uniform(0.7, 1.0)))
        if rng.random() < 0.5:  # a branch at the joint, 25-60 degrees off the main course
            side = heading + rng.choice([-1, 1]) * rng.uniform(0.45, 1.05)
            tip = end + rng.uniform(0.2, 0.5) * np.array([math.sin(side), math.cos(side)])
            segments.append(_capsule(end[0], end[1], tip[0], tip[1], radius * 0.8))
        point, heading = end, heading + rng.normal(0, 0.25)
    # the cast starts at the origin, so the centre pixel of its stamp is always inside it (never an empty mask)
    return segments


def make_shape(morphology: Morphology, rng: np.random.Generator, angle: float | None = None) -> CalcificationShape:
    """Draw one calcification of the given morphology.

    Parameters
    ----------
    morphology : Morphology
    rng : numpy.random.Generator
    angle : float or None
        Orientation (radians) for elongated types (rods, vascular, linear); follows the duct or vessel when the
        distribution gives one, random otherwise.

    Returns
    -------
    CalcificationShape
        Sizes in mm (BI-RADS): punctate < 0.5 mm; amorphous and fine pleomorphic < 0.5 mm; coarse heterogeneous
        0.5-1 mm; fine linear 0.5-3 mm long, < 0.2 mm wide; rods, popcorn, rim, vascular 1-3 mm.
    """
    angle = rng.uniform(0, 2 * math.pi) if angle is None else angle
    shell, density = None, rng.uniform(0.85, 1.0)
    m = Morphology
    if morphology == m.PUNCTATE:
        caps = _rod(rng, rng.uniform(0.0, 0.08), rng.uniform(0.05, 0.22), angle)
    elif morphology == m.DIFFUSE_SCATTERED:
        caps = _rod(rng, rng.uniform(0.0, 0.2), rng.uniform(0.1, 0.4), angle)
    elif morphology == m.COARSE_POPCORN:
        caps = _blobs(rng, (3, 6), rng.uniform(0.5, 0.9), (0.3, 0.55))
    elif morphology == m.RIM_EGGSHELL:
        caps, shell = [_capsule(0, 0, 0, 0, 0.0)], (rng.uniform(0.5, 1.4), rng.uniform(0.08, 0.18))
    elif morphology == m.LARGE_ROD:
        caps = _rod(rng, rng.uniform(1.2, 2.4), rng.uniform(0.15, 0.3), angle)
    elif morphology == m.VASCULAR:
        gap, length, radius = rng.uniform(0.25, 0.5), rng.uniform(1.2, 2.2), rng.uniform(0.05, 0.1)
        oy, ox = gap * math.cos(angle), -gap * math.sin(angle)  # the two walls of the vessel, tram-track
        # the first wall runs through the origin, so the centre pixel lies on the calcification
        caps = [
            np.add(c, [oy * s, ox * s, oy * s, ox * s, 0]) for s in (0, 2) for c in _rod(rng, length, radius, angle)
        ]
    elif morphology == m.AMORPHOUS:
        caps = _blobs(rng, (1, 3), 0.08, (0.05, 0.12))
    elif morphology == m.COARSE_HETEROGENEOUS:
        caps = _blobs(rng, (3, 6), rng.uniform(0.15, 0.3), (0.12, 0.25))
    elif morphology == m.FINE_PLEOMORPHIC:
        caps = _blobs(rng, (2, 4), rng.uniform(0.05, 0.15), (0.05, 0.12))
    else:
        caps = _branching(rng, angle)
    if morphology in _DENSITY:
        density = rng.uniform(*_DENSITY[morphology])
    shape = CalcificationShape(morphology, np.asarray(caps, dtype=np.float64), shell, float(density))
    if shape.extent_mm > MAX_SIZE_MM:  # long casts: shrink the course, keep the calibre
        shape.capsules[:, :4] *= (MAX_SIZE_MM - 2 * shape.capsules[:, 4].max()) / (
            shape.extent_mm - 2 * shape.capsules[:, 4].max()
        )
    return shape
