"""Placing calcification groups on a canvas: anchors, candidate centres, fitting, and the ground-truth records."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull

from .calcification_shapes import make_shape
from .config import Distribution, Morphology
from .distributions import MIN_GROUPED, candidate_positions, draw_count
from .records import CalcificationRecord, ClusterRecord
from .rendering import Canvas, rasterize

#: Anchors tried per group before it is given up (tiny crops may not hold a regional group).
MAX_ANCHOR_TRIES = 12
#: Duct-following types are oriented along the duct, with this spread (radians).
_ORIENTED = frozenset({Morphology.LARGE_ROD, Morphology.VASCULAR, Morphology.FINE_LINEAR_BRANCHING})


def _outline(centers: np.ndarray, sizes_px: np.ndarray, margin_px: float) -> tuple[tuple[float, float], ...]:
    """Convex hull (row, column) of discs around the members, grown by ``margin_px``; a closed polygon."""
    angles = np.linspace(0, 2 * math.pi, 8, endpoint=False)
    radii = sizes_px / 2.0 + margin_px
    ring = np.stack([np.sin(angles), np.cos(angles)], 1)
    points = (centers[:, None, :] + radii[:, None, None] * ring[None]).reshape(-1, 2)
    hull = points[ConvexHull(points).vertices]
    return tuple((round(float(r), 2), round(float(c), 2)) for r, c in hull)


def _try_group(canvas: Canvas, morphology, distribution, anchor, towards, background, rng, first_id):
    """Fit one group at ``anchor``; returns the claimed (stamp, centre, shape) list (maybe too short)."""
    n = draw_count(distribution, morphology, rng)
    cells = np.argwhere(background.placement_low) if distribution == Distribution.DIFFUSE else None
    candidates = candidate_positions(
        distribution, anchor, towards, 3 * n, canvas.spacing_mm, rng, cells, background.factor
    )
    placement, factor = background.placement_low, background.factor
    claimed = []
    for row, col in candidates:
        if len(claimed) == n:
            break
        cell = (row // factor, col // factor)
        if not (0 <= cell[0] < placement.shape[0] and 0 <= cell[1] < placement.shape[1]) or not placement[cell]:
            continue
        angle = towards + rng.normal(0.0, 0.15) if morphology in _ORIENTED else None
        shape = make_shape(morphology, rng, angle)
        stamp = rasterize(shape, canvas.spacing_mm)
        if canvas.claim(stamp, (int(row), int(col)), first_id + len(claimed)):
            claimed.append((stamp, (int(row), int(col)), shape))
    return claimed


def _record_group(canvas, claimed, cluster_id, morphology, distribution, suspicious, first_id):
    """Paint a completed group and build its records."""
    calcifications = []
    for offset, (stamp, center, shape) in enumerate(claimed):
        canvas.paint(stamp, center, shape.density)
        calcifications.append(
            CalcificationRecord(
                first_id + offset,
                cluster_id,
                morphology,
                center,
                round(shape.extent_mm, 4),
                round(stamp.area_mm2, 5),
                int(np.count_nonzero(stamp.footprint)),
                round(shape.density, 4),
            )
        )
    centers = np.array([c for _, c, _ in claimed], dtype=np.float64)
    sizes = np.array([s.extent_mm for _, _, s in claimed]) / canvas.spacing_mm
    outline = _outline(centers, sizes, 0.5 / canvas.spacing_mm)
    center = tuple(round(float(v), 2) for v in centers.mean(0))
    ids = tuple(c.instance_id for c in calcifications)
    return ClusterRecord(cluster_id, morphology, distribution, suspicious, ids, center, outline), calcifications


def place_groups(canvas: Canvas, plan, background, rng: np.random.Generator):
    """Draw every planned group into ``canvas``.

    Parameters
    ----------
    canvas : Canvas
        Updated in place (signal and instance map).
    plan : list of (Morphology, Distribution, bool)
        Groups to draw and whether each came from the suspicious pool.
    background : Background
        Placement cells, anatomy-grid factor and nipple position.
    rng : numpy.random.Generator

    Returns
    -------
    clusters : list of ClusterRecord
    calcifications : list of CalcificationRecord
        Groups that found no room (tiny crops) are left out; a grouped distribution is kept only with >= 5 members.
    """
    clusters, calcifications = [], []
    cells = np.argwhere(background.placement_low)
    if cells.size == 0:
        return clusters, calcifications
    for morphology, distribution, suspicious in plan:
        needed = MIN_GROUPED if distribution == Distribution.GROUPED else 1
        first_id = len(calcifications) + 1
        for _ in range(MAX_ANCHOR_TRIES):
            cell = cells[int(rng.integers(len(cells)))]
            anchor = ((cell[0] + 0.5) * background.factor, (cell[1] + 0.5) * background.factor)
            towards = math.atan2(background.nipple_rc[0] - anchor[0], background.nipple_rc[1] - anchor[1])
            claimed = _try_group(canvas, morphology, distribution, anchor, towards, background, rng, first_id)
            if len(claimed) >= needed:
                cluster, members = _record_group(
                    canvas, claimed, len(clusters), morphology, distribution, suspicious, first_id
                )
                clusters.append(cluster)
                calcifications.extend(members)
                break
            for stamp, center, _ in claimed:
                canvas.release(stamp, center)
    return clusters, calcifications
