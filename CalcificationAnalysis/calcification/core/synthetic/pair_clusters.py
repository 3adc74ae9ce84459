"""Compact calcification clusters for prior/current pairs: one drawn group is one cluster by the product's rule.

The product calls calcifications whose gaps are under about 1 mm a cluster (dilation by the 1.088 mm element of Tong
et al. 2024, at least 6 members). The engine's general groups spread wider (a grouped distribution over up to 1 cm²)
and often split into several clusters or none, which would blur the truth of a change status. Pair clusters are
therefore drawn on a jittered hexagonal lattice with a 0.9 mm pitch inside a disc, filled from the centre outwards,
so every member touches its neighbours after the dilation and the members nearest the centre form a smaller
cluster of the same kind (the prior of an *increased* cluster).
"""

from __future__ import annotations

import math

import numpy as np

from .calcification_shapes import make_shape
from .config import Morphology
from .rendering import Canvas, rasterize

#: Lattice pitch between member centres, mm (gaps of 0.4-0.7 mm for the sizes drawn: well under the 1.088 mm rule).
PITCH_MM = 0.9
#: Morphologies drawn for pairs: small (0.15-0.5 mm, so the lattice gaps stay open) and dense enough to be found on
#: both exams (amorphous deposits are too faint to tell a detector miss from a change; coarse heterogeneous ones are
#: 0.6-1.1 mm across and would close the gaps).
PAIR_MORPHOLOGIES = (Morphology.FINE_PLEOMORPHIC, Morphology.PUNCTATE)
#: Smallest distance between two cluster centres, mm: clusters never touch, so matching is unambiguous by design.
MIN_SEPARATION_MM = 20.0


def _lattice(centre_rc: tuple[float, float], n: int, spacing_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Up to ``3 n`` jittered hexagonal lattice points (row, col pixels) around ``centre_rc``, nearest first."""
    radius = int(math.ceil(math.sqrt(3 * n))) + 1
    points = []
    for i in range(-radius, radius + 1):
        for j in range(-radius, radius + 1):
            x = (j + 0.5 * (i % 2)) * PITCH_MM
            y = i * PITCH_MM * math.sqrt(3) / 2
            points.append((y, x))
    points = np.array(points) + rng.normal(0.0, 0.06, (len(points), 2))
    order = np.argsort(np.hypot(points[:, 0], points[:, 1]) + rng.uniform(0, 0.05, len(points)), kind="stable")
    return np.asarray(centre_rc) + points[order[: 3 * n]] / spacing_mm


def place_compact_cluster(canvas: Canvas, centre_rc, n: int, morphology: Morphology, rng, first_id: int) -> list[int]:
    """Claim and paint up to ``n`` calcifications around ``centre_rc``; returns their instance ids (first nearest the
    centre). Sizes are capped at 0.5 mm so the lattice gaps stay open."""
    ids = []
    for row, col in _lattice(centre_rc, n, canvas.spacing_mm, rng):
        if len(ids) == n:
            break
        shape = make_shape(morphology, rng)
        for _ in range(10):  # a few percent of these morphologies exceed 0.5 mm: draw again
            if shape.extent_mm <= 0.5:
                break
            shape = make_shape(morphology, rng)
        stamp = rasterize(shape, canvas.spacing_mm)
        centre = (int(round(row)), int(round(col)))
        if canvas.claim(stamp, centre, first_id + len(ids)):
            canvas.paint(stamp, centre, max(shape.density, 0.6))
            ids.append(first_id + len(ids))
    return ids


def cluster_anchors(placement_low: np.ndarray, factor: int, spacing_mm: float, count: int, rng) -> list[tuple]:
    """Up to ``count`` cluster centres (row, col pixels) inside the placement cells, ``MIN_SEPARATION_MM`` apart."""
    cells = np.argwhere(placement_low)
    anchors: list[tuple[float, float]] = []
    for index in rng.permutation(len(cells))[: 50 * count]:
        centre = ((cells[index][0] + 0.5) * factor, (cells[index][1] + 0.5) * factor)
        far = all(math.dist(centre, a) * spacing_mm >= MIN_SEPARATION_MM for a in anchors)
        if far:
            anchors.append(centre)
        if len(anchors) == count:
            break
    return anchors
