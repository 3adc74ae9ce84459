"""Vascular calcifications: calcified vessel walls, benign in BI-RADS and reported apart from clusters.

On a mammogram they are tracks of calcifications (single, or paired "tram lines") along a bright tubular structure,
the vessel. Both parts are required here, so a linear ductal distribution without a vessel under it stays a
suspicious finding:

1. **A track.** Calcifications closer than :data:`LINK_MM` to each other are linked; a linked group of at least
   :data:`MIN_TRACK_MEMBERS` whose centroids lie along a line (linearity 1 - minor/major eigenvalue of their
   covariance >= :data:`MIN_TRACK_LINEARITY`) and span at least :data:`MIN_TRACK_LENGTH_MM` is a track.
2. **A vessel under it.** At the vessel scale (:data:`VESSEL_SIGMA_MM`, a 1-2 mm wide vessel) the image's Hessian
   at most members shows a bright ridge (one strongly negative eigenvalue, the other at most half of it) running
   within :data:`MAX_ANGLE_DEG` of the track's direction.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

LINK_MM = 2.5
MIN_TRACK_MEMBERS = 4
MIN_TRACK_LINEARITY = 0.9
MIN_TRACK_LENGTH_MM = 4.0
VESSEL_SIGMA_MM = 0.5
MAX_ANGLE_DEG = 25.0
#: Share of a track's members that must sit on an aligned ridge.
MIN_RIDGE_SHARE = 0.6


def _ridge_directions(image: np.ndarray, spacing_mm: float, rows: np.ndarray, cols: np.ndarray):
    """At each point: whether the Hessian at the vessel scale shows a bright ridge, and the ridge's direction
    (unit vector (row, col) along the ridge)."""
    sigma = VESSEL_SIGMA_MM / spacing_mm
    h_rr = ndimage.gaussian_filter(image, sigma, order=(2, 0))[rows, cols]
    h_cc = ndimage.gaussian_filter(image, sigma, order=(0, 2))[rows, cols]
    h_rc = ndimage.gaussian_filter(image, sigma, order=(1, 1))[rows, cols]
    half_trace, root = 0.5 * (h_rr + h_cc), np.sqrt(0.25 * (h_rr - h_cc) ** 2 + h_rc**2)
    strong, weak = half_trace - root, half_trace + root  # strong <= weak; a bright ridge has strong << 0
    ridge = (strong < 0) & (np.abs(weak) <= 0.5 * np.abs(strong))
    # eigenvector of the weak eigenvalue = direction along the ridge
    along = np.column_stack([h_rc, weak - h_rr])
    degenerate = np.hypot(along[:, 0], along[:, 1]) < 1e-12
    along[degenerate] = (1.0, 0.0)
    along /= np.hypot(along[:, 0], along[:, 1])[:, None]
    return ridge, along


def _tracks(points_mm: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Linked groups that form a track: (member indices, unit direction (row, col))."""
    pairs = cKDTree(points_mm).query_pairs(LINK_MM, output_type="ndarray")
    n = len(points_mm)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else None
    if graph is None:
        return []
    _, group = connected_components(graph, directed=False)
    found = []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        if len(members) < MIN_TRACK_MEMBERS:
            continue
        centred = points_mm[members] - points_mm[members].mean(0)
        values, vectors = np.linalg.eigh(np.cov(centred.T))
        if values[1] <= 0 or 1.0 - values[0] / values[1] < MIN_TRACK_LINEARITY:
            continue
        direction = vectors[:, 1]
        extent = centred @ direction
        if extent.max() - extent.min() >= MIN_TRACK_LENGTH_MM:
            found.append((members, direction))
    return found


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
    flags = np.zeros(len(centroids_rc), bool)
    if len(centroids_rc) < MIN_TRACK_MEMBERS:
        return flags
    tracks = _tracks(np.asarray(centroids_rc, float) * spacing_mm)
    if not tracks:
        return flags
    members = np.concatenate([m for m, _ in tracks])
    rows = np.clip(np.round(centroids_rc[members, 0]).astype(int), 0, image.shape[0] - 1)
    cols = np.clip(np.round(centroids_rc[members, 1]).astype(int), 0, image.shape[1] - 1)
    ridge, along = _ridge_directions(np.asarray(image, np.float32), spacing_mm, rows, cols)
    start, cos_limit = 0, np.cos(np.radians(MAX_ANGLE_DEG))
    for track, direction in tracks:
        part = slice(start, start + len(track))
        start += len(track)
        aligned = ridge[part] & (np.abs(along[part] @ direction) >= cos_limit)
        if aligned.mean() >= MIN_RIDGE_SHARE:
            flags[track] = True
    return flags
