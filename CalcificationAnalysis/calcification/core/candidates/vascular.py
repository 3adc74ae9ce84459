"""Vascular calcifications: calcified vessel walls, benign in BI-RADS and reported apart from clusters.

On a mammogram they are rows of calcifications (single, or paired "tram lines") along a bright tubular structure,
the vessel. Both parts are required, so a linear ductal distribution without a vessel under it stays a suspicious
finding. A calcification is vascular when

1. **it sits on a vessel**: at the vessel scale (:data:`VESSEL_SIGMA_MM`, vessels about 1-2 mm wide) the image's
   Hessian shows a bright ridge there: one eigenvalue strongly negative (below :data:`RIDGE_STRENGTH` times the
   image's median ridge response, so faint texture does not count), the other at most half of it; and
2. **others line up on the same vessel**: at least :data:`MIN_ALIGNED_OTHERS` other calcifications within
   :data:`REACH_MM` also sit on a ridge running the same way (within :data:`MAX_ANGLE_DEG`) and lie within
   :data:`MAX_OFFSET_MM` of the line through this one along its ridge (those others are vascular too, so the
   ends of a row count).

The Hessian is taken on a grid of about :data:`RIDGE_GRID_MM` (block means), which the 0.5 mm scale allows, so a
full-field image at 0.05 mm costs a few tens of milliseconds.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .candidate_features import hessian_eigenvalues, hessian_parts
from .working_grid import block_mean

VESSEL_SIGMA_MM = 0.5
RIDGE_STRENGTH = 4.0
RIDGE_ANISOTROPY = 0.5
MIN_ALIGNED_OTHERS = 4
REACH_MM = 6.0
MAX_OFFSET_MM = 0.35
MAX_ANGLE_DEG = 25.0
RIDGE_GRID_MM = 0.2


def _ridges(image: np.ndarray, spacing_mm: float, rows: np.ndarray, cols: np.ndarray):
    """At each point: whether a bright ridge of the vessel scale runs there, and its direction (unit (row, col))."""
    h_rr, h_cc, h_rc = hessian_parts(image, VESSEL_SIGMA_MM / spacing_mm)
    strong_map, weak_map = hessian_eigenvalues(h_rr, h_cc, h_rc)  # strong: across a bright ridge
    typical = float(np.median(np.abs(strong_map))) + 1e-12
    strong, weak = strong_map[rows, cols], weak_map[rows, cols]
    ridge = (strong < -RIDGE_STRENGTH * typical) & (np.abs(weak) <= RIDGE_ANISOTROPY * np.abs(strong))
    along = np.column_stack([h_rc[rows, cols], weak - h_rr[rows, cols]])  # eigenvector of the weak eigenvalue
    norm = np.hypot(along[:, 0], along[:, 1])
    along[norm < 1e-12] = (1.0, 0.0)
    along /= np.maximum(np.hypot(along[:, 0], along[:, 1]), 1e-12)[:, None]
    return ridge, along


def vascular_flags(centroids_rc: np.ndarray, image: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Which calcifications are vascular.

    Parameters
    ----------
    centroids_rc : np.ndarray, (n, 2)
        Calcification centroids (row, col) in pixels of ``image``.
    image : np.ndarray, float, (rows, cols)
        The mammogram (bright = dense), any intensity scale.
    spacing_mm : float
        Its isotropic pixel spacing.

    Returns
    -------
    np.ndarray of bool, (n,)
    """
    centroids_rc = np.asarray(centroids_rc, float).reshape(-1, 2)
    flags = np.zeros(len(centroids_rc), bool)
    if len(centroids_rc) <= MIN_ALIGNED_OTHERS:
        return flags
    factor = max(1, int(round(RIDGE_GRID_MM / spacing_mm)))
    coarse = block_mean(np.asarray(image, np.float32), factor)
    rows = np.clip(np.round((centroids_rc[:, 0] + 0.5) / factor - 0.5).astype(int), 0, coarse.shape[0] - 1)
    cols = np.clip(np.round((centroids_rc[:, 1] + 0.5) / factor - 0.5).astype(int), 0, coarse.shape[1] - 1)
    ridge, along = _ridges(coarse, spacing_mm * factor, rows, cols)
    points = centroids_rc * spacing_mm
    on_ridge = np.flatnonzero(ridge)
    if len(on_ridge) <= MIN_ALIGNED_OTHERS:
        return flags
    tree = cKDTree(points[on_ridge])
    cos_limit = np.cos(np.radians(MAX_ANGLE_DEG))
    for k, i in enumerate(on_ridge):
        near = on_ridge[[j for j in tree.query_ball_point(points[i], REACH_MM) if j != k]]
        if len(near) < MIN_ALIGNED_OTHERS:
            continue
        offset = points[near] - points[i]
        across = np.abs(offset[:, 0] * along[i, 1] - offset[:, 1] * along[i, 0])
        same_way = np.abs(along[near] @ along[i]) >= cos_limit
        aligned = near[(across <= MAX_OFFSET_MM) & same_way]
        if len(aligned) >= MIN_ALIGNED_OTHERS:  # this one and the ones in line with it (the row's ends too)
            flags[i] = True
            flags[aligned] = True
    return flags
