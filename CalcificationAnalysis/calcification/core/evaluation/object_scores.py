"""The per-pixel object score an FROC ranks detections by, for any segmentation method."""

from __future__ import annotations

from typing import Optional

import numpy as np


def froc_score_map(segmentation) -> Optional[np.ndarray]:
    """Per-pixel object score of a :class:`~calcification.core.segmentation.CalcificationSegmentation`: the
    probability map of trained methods, or each Hessian-DoG candidate's DoG response painted over its pixels (the
    detector's own confidence; labels are ``candidates[label - 1]``). None when labels and records disagree (then
    every object gets one score)."""
    if "probability" in segmentation.details:
        return segmentation.details["probability"]
    responses = np.array([0.0] + [c.dog_response for c in segmentation.objects], dtype=np.float64)
    if responses.size != int(segmentation.labels.max(initial=0)) + 1:
        return None
    return responses[segmentation.labels]
