"""BI-RADS distribution of calcifications, from where their centres lie.

The product's clusters (Tong et al.: gaps under about 1 mm, at least 6 members) are too tight for distribution:
linear, segmental and regional calcifications lie millimetres to centimetres apart. Calcifications are therefore
first linked into *findings* by single linkage at :data:`LINK_MM` (a finding holds every calcification reachable in
steps of at most that distance, so every product cluster lies inside one finding), and each finding of at least
:data:`MIN_FINDING` calcifications is described by its geometry:

- *linear*: the members lie on a line (linearity >= :data:`LINEAR_LINEARITY`, band at most :data:`LINE_WIDTH_MM`
  wide) longer than :data:`MIN_LINE_MM`;
- *grouped*: a small area, at most :data:`GROUPED_EXTENT_MM` across (BI-RADS: within 1 cm, up to 2 cm);
- *segmental*: an elongated area (linearity >= :data:`SEGMENT_LINEARITY`) whose long axis points to the nipple
  (within :data:`DUCT_ANGLE_DEGREES`) and which widens away from it (by :data:`WEDGE_WIDENING` or more), as a duct
  and its branches do; without a breast outline (no nipple direction), a strongly elongated area (linearity >= 0.8);
- *regional*: a larger area that follows no duct.

Calcifications in no finding are *diffuse* when at least :data:`MIN_DIFFUSE` of them are scattered over the breast
(root-mean-square distance from their centre at least :data:`DIFFUSE_SPREAD_MM`); otherwise they stay undescribed.
The cut points are the Atlas's sizes where it gives one (1-2 cm for grouped, > 2 cm regional) and were set on
synthetic cases with known distributions (series 3000, not the benchmark's held-out series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .vocabulary import Distribution

LINK_MM = 10.0
MIN_FINDING = 4
LINEAR_LINEARITY = 0.95
LINE_WIDTH_MM = 3.0
MIN_LINE_MM = 6.0
GROUPED_EXTENT_MM = 12.0
SEGMENT_LINEARITY = 0.6
DUCT_ANGLE_DEGREES = 30.0
WEDGE_WIDENING = 1.3
MIN_DIFFUSE = 8
DIFFUSE_SPREAD_MM = 20.0


@dataclass(frozen=True)
class GroupGeometry:
    """Measured geometry of a set of calcification centres (mm).

    extent_mm : largest distance between two centres; width_mm : 4 standard deviations across the main axis;
    linearity : 1 - minor / major variance of the centres; spread_mm : RMS distance from their centre;
    nipple_angle_degrees : angle between the main axis and the direction to the nipple (None when unknown).
    """

    count: int
    extent_mm: float
    width_mm: float
    linearity: float
    spread_mm: float
    nipple_angle_degrees: Optional[float]
    widening: float = 1.0


@dataclass(frozen=True)
class DistributionCall:
    """A distribution with its runner-up and the measured values that decided it."""

    distribution: Distribution
    runner_up: Optional[Distribution]
    geometry: GroupGeometry
    evidence: str


def link_findings(points_mm: np.ndarray, link_mm: float = LINK_MM) -> np.ndarray:
    """Finding index of each point (single linkage at ``link_mm``), 0..k-1 in order of first appearance.

    Parameters
    ----------
    points_mm : np.ndarray, float (n, 2)
        Calcification centres (x, y) in mm.
    """
    n = len(points_mm)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pairs = cKDTree(points_mm).query_pairs(link_mm, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))  # renumber by first member
    return order[labels].astype(np.int64)


def measure_geometry(points_mm: np.ndarray, nipple_mm: Optional[np.ndarray]) -> GroupGeometry:
    """Geometry of the centres ``points_mm`` (n, 2) in mm; ``nipple_mm`` (x, y) or None."""
    centre = points_mm.mean(axis=0)
    offsets = points_mm - centre
    values, vectors = np.linalg.eigh(offsets.T @ offsets / len(points_mm))
    linearity = float(np.clip(1.0 - values[0] / values[1], 0.0, 1.0)) if values[1] > 0 else 0.0
    extent = float(np.max(np.linalg.norm(offsets[:, None] - offsets[None], axis=2))) if len(points_mm) > 1 else 0.0
    angle, widening = None, 1.0
    if nipple_mm is not None and np.linalg.norm(nipple_mm - centre) > 0:
        towards = (nipple_mm - centre) / np.linalg.norm(nipple_mm - centre)
        angle = float(np.degrees(np.arccos(min(1.0, abs(float(towards @ vectors[:, 1]))))))
        widening = _widening(offsets, vectors, towards)
    spread = float(math.sqrt((offsets**2).sum(axis=1).mean()))
    width = 4.0 * math.sqrt(max(values[0], 0.0))
    return GroupGeometry(len(points_mm), extent, width, linearity, spread, angle, widening)


def _widening(offsets: np.ndarray, vectors: np.ndarray, towards: np.ndarray) -> float:
    """Standard deviation across the main axis of the far half over that of the near half (nipple side)."""
    axis = vectors[:, 1] if float(vectors[:, 1] @ towards) >= 0 else -vectors[:, 1]
    along, across = offsets @ axis, offsets @ vectors[:, 0]
    near, far = across[along > 0], across[along <= 0]
    if near.size < 2 or far.size < 2:
        return 1.0
    return float(far.std() / max(near.std(), 1e-6))


def call_distribution(geometry: GroupGeometry) -> DistributionCall:
    """The distribution of one finding from its geometry (rules in the module docstring)."""
    g = geometry
    line = g.linearity >= LINEAR_LINEARITY and g.width_mm <= LINE_WIDTH_MM and g.extent_mm >= MIN_LINE_MM
    small = g.extent_mm <= GROUPED_EXTENT_MM
    if g.nipple_angle_degrees is None:
        ductal = g.linearity >= 0.8
    else:
        wedge = g.nipple_angle_degrees <= DUCT_ANGLE_DEGREES and g.widening >= WEDGE_WIDENING
        ductal = g.linearity >= SEGMENT_LINEARITY and wedge
    if line:
        call, runner = Distribution.LINEAR, Distribution.SEGMENTAL if not small else Distribution.GROUPED
    elif small:
        call, runner = Distribution.GROUPED, Distribution.LINEAR if g.linearity >= SEGMENT_LINEARITY else None
    elif ductal:
        call, runner = Distribution.SEGMENTAL, Distribution.LINEAR if g.linearity >= 0.9 else Distribution.REGIONAL
    else:
        call, runner = Distribution.REGIONAL, Distribution.SEGMENTAL if g.linearity >= SEGMENT_LINEARITY else None
    return DistributionCall(call, runner, geometry, _evidence(g))


def call_diffuse(geometry: GroupGeometry) -> Optional[DistributionCall]:
    """Diffuse for calcifications outside every finding, when enough of them are scattered over the breast."""
    if geometry.count >= MIN_DIFFUSE and geometry.spread_mm >= DIFFUSE_SPREAD_MM:
        return DistributionCall(Distribution.DIFFUSE, Distribution.REGIONAL, geometry, _evidence(geometry))
    return None


def _evidence(g: GroupGeometry) -> str:
    angle = (
        ""
        if g.nipple_angle_degrees is None
        else f", axis {g.nipple_angle_degrees:.0f}° from the nipple direction, widening {g.widening:.2f}"
    )
    return (
        f"{g.count} calcifications over {g.extent_mm:.1f} mm (band {g.width_mm:.1f} mm wide), "
        f"linearity {g.linearity:.2f}{angle}"
    )
