"""Which candidates are calcifications, given a ground-truth instance map: the labels of the filter's training
table and the matching rule of its evaluation."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .candidate_detection import WorkingCandidates
from .working_grid import to_working_grid

#: A candidate whose outline comes within this distance (mm) of a true calcification is that calcification: the
#: half-width of the acquisition blur plus a working pixel, so a peak shifted by the blur still counts.
MATCH_TOLERANCE_MM = 0.1


def true_instance_per_candidate(found: WorkingCandidates, instances: np.ndarray) -> np.ndarray:
    """For every candidate, the ground-truth instance id it lands on (0 = none).

    Parameters
    ----------
    found : WorkingCandidates
    instances : np.ndarray, int, on the input grid (``found.input_shape``)
        0 background, k > 0 one true calcification each.

    Returns
    -------
    np.ndarray, int64, shape (n_candidates,)
    """
    count = len(found.detection.candidates)
    if count == 0:
        return np.zeros(0, np.int64)
    truth = to_working_grid(np.asarray(instances, np.int32), found.image01.shape, order=0)
    radius = max(1, int(round(MATCH_TOLERANCE_MM / found.working_spacing_mm)))
    grown = ndimage.grey_dilation(truth, size=2 * radius + 1)
    labels = found.detection.labels
    hits = ndimage.maximum(grown, labels, np.arange(1, count + 1))
    return np.asarray(hits, np.int64)
