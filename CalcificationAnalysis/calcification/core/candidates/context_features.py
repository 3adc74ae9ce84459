"""The filter's second look at a candidate: what the first look thought of its neighbours.

Calcifications that matter come in groups, and a radiologist reads a faint speck next to clear ones differently
from the same speck alone in fatty tissue; film grain and noise give isolated false candidates. So the second
stage adds, to each candidate's own features, how many of the candidates around it the first stage believed
(probability of at least :data:`BELIEVED`) within 1 and 3 mm, their summed probability within 3 mm, and the
highest probability within 2 mm, itself excluded, and how much the believed candidates within 3 mm (itself
included) line up (1 - minor/major eigenvalue of their positions' covariance; 0 for fewer than three): on real
normals the false groups follow ligaments, vessel edges and the skin line.

Trained on out-of-fold first-stage probabilities (stacking), so the second stage learns from the first stage's
honest mistakes.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

CONTEXT_FEATURE_NAMES = (
    "believed_within_1mm",
    "believed_within_3mm",
    "probability_sum_3mm",
    "best_within_2mm",
    "believed_linearity_3mm",
)
BELIEVED = 0.5


def context_features(points_mm: np.ndarray, probability: np.ndarray, image_ids: np.ndarray | None = None) -> np.ndarray:
    """(n, 5) float32 columns of :data:`CONTEXT_FEATURE_NAMES`.

    Parameters
    ----------
    points_mm : np.ndarray, (n, 2)
        Candidate positions in mm.
    probability : np.ndarray, (n,)
        First-stage probabilities.
    image_ids : np.ndarray, (n,), optional
        Which image each candidate is on (a table of many images); neighbours are taken within an image only.
    """
    points_mm = np.asarray(points_mm, float).reshape(-1, 2)
    probability = np.asarray(probability, float)
    out = np.zeros((len(points_mm), len(CONTEXT_FEATURE_NAMES)), np.float32)
    ids = np.zeros(len(points_mm), int) if image_ids is None else np.asarray(image_ids)
    for image in np.unique(ids):
        rows = np.flatnonzero(ids == image)
        tree = cKDTree(points_mm[rows])
        p = probability[rows]
        believed = p >= BELIEVED
        within_1, within_2, within_3 = (tree.query_ball_point(points_mm[rows], r) for r in (1.0, 2.0, 3.0))
        for k in range(len(rows)):
            near, others = within_3[k], [j for j in within_2[k] if j != k]
            out[rows[k], 0] = np.count_nonzero(believed[within_1[k]]) - believed[k]
            out[rows[k], 1] = np.count_nonzero(believed[near]) - believed[k]
            out[rows[k], 2] = p[near].sum() - p[k]
            out[rows[k], 3] = p[others].max() if others else 0.0
            out[rows[k], 4] = _linearity(points_mm[rows[[j for j in near if believed[j] or j == k]]])
    return out


def _linearity(points: np.ndarray) -> float:
    if len(points) < 3:
        return 0.0
    values = np.linalg.eigvalsh(np.cov((points - points.mean(0)).T))
    return float(1.0 - values[0] / values[1]) if values[1] > 1e-12 else 0.0
