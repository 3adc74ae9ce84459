"""Free-response ROC (FROC) of calcification detection, pooled over images, as in Marasinou et al. (Cancers 2023):
true-positive rate (share of true calcifications hit, :mod:`.object_matching`) against false positives per cm² of
breast.

How the thresholds are swept: objects are the connected components (or instances) of each method's own output,
found once; each gets one score (mean or max probability over its pixels) and is kept or dropped *as a whole* when
the score threshold moves. Objects are never re-labelled per threshold, so a component does not split or shrink as
it would if the probability map itself were re-thresholded; the curve therefore ends at the method's operating point
(all its objects kept). Sorting the pooled scores once and taking cumulative sums gives every threshold in
O(n log n). Greedy one-to-one matching by score makes the hits at any threshold a prefix of one matching pass.

Partial AUC: the area under the FROC step curve (the best sensitivity reachable with at most x FP/cm²) over
x in [0, max_fp] (1 FP/cm² by default), divided by max_fp so that a perfect detector scores 1 and a detector that
finds nothing scores 0. Beyond the operating point the curve is held flat at its last sensitivity (the method offers
no more objects), which is also what :func:`sensitivity_at` reads off there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .object_matching import ObjectMatching

#: FP/cm² at which reports read off the sensitivity.
REPORTED_FP_PER_CM2 = (0.1, 0.3, 1.0)


@dataclass(frozen=True)
class FrocCurve:
    """FROC points from the strictest threshold to the loosest (the method's operating point).

    Attributes
    ----------
    thresholds : np.ndarray, float64 (k,)
        Score threshold of each point (objects with score >= threshold kept); the first is +inf (nothing kept).
    sensitivity : np.ndarray, float64 (k,)
        Share of true calcifications hit, non-decreasing, in [0, 1] (1 by convention when there is no truth).
    fp_per_cm2 : np.ndarray, float64 (k,)
        False positives per cm² of region, non-decreasing, starting at 0.
    n_truth, n_predicted : int
        Pooled true calcifications and predicted objects.
    area_cm2 : float
        Pooled region (breast) area in cm².
    """

    thresholds: np.ndarray
    sensitivity: np.ndarray
    fp_per_cm2: np.ndarray
    n_truth: int
    n_predicted: int
    area_cm2: float

    def to_dict(self) -> dict:
        finite = [float(t) if np.isfinite(t) else None for t in self.thresholds]  # JSON has no infinity
        return {
            "thresholds": finite,
            "sensitivity": self.sensitivity.tolist(),
            "fp_per_cm2": self.fp_per_cm2.tolist(),
            "n_truth": self.n_truth,
            "n_predicted": self.n_predicted,
            "area_cm2": self.area_cm2,
        }


def froc_from_scores(scores: np.ndarray, is_hit: np.ndarray, n_truth: int, area_cm2: float) -> FrocCurve:
    """FROC of pooled predicted objects.

    Parameters
    ----------
    scores : np.ndarray, float (n,)
        Score of every predicted object of every image.
    is_hit : np.ndarray, bool (n,)
        Whether each object matched a true calcification (one-to-one greedy matching by score).
    n_truth : int
        Number of true calcifications over all images.
    area_cm2 : float
        Region area over all images, cm² (> 0).

    Returns
    -------
    FrocCurve
    """
    scores, is_hit = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(is_hit, dtype=bool).ravel()
    if scores.shape != is_hit.shape:
        raise InputError(f"{scores.size} scores but {is_hit.size} hit flags; give one of each per object.")
    if not area_cm2 > 0:
        raise InputError("The breast region is empty, so false positives per cm² are undefined; check the masks.")
    if is_hit.sum() > n_truth:
        raise InputError(f"{int(is_hit.sum())} hits for only {n_truth} true calcifications; matching must be 1:1.")
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    tp, fp = np.cumsum(is_hit[order]), np.cumsum(~is_hit[order])
    # One point per distinct score: objects with equal scores are kept or dropped together.
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True] if scores.size else np.zeros(0, dtype=bool)
    sensitivity = tp[last_of_tie] / n_truth if n_truth > 0 else np.ones(int(last_of_tie.sum()))
    return FrocCurve(
        thresholds=np.r_[np.inf, sorted_scores[last_of_tie]],
        sensitivity=np.r_[0.0 if n_truth > 0 else 1.0, sensitivity],
        fp_per_cm2=np.r_[0.0, fp[last_of_tie] / area_cm2],
        n_truth=int(n_truth),
        n_predicted=int(scores.size),
        area_cm2=float(area_cm2),
    )


def froc_curve(matchings: Sequence[ObjectMatching], areas_cm2: Sequence[float]) -> FrocCurve:
    """FROC pooled over images: ``matchings[i]`` from :func:`match_objects`, ``areas_cm2[i]`` its region area."""
    if len(matchings) != len(areas_cm2):
        raise InputError(f"{len(matchings)} matchings but {len(areas_cm2)} region areas; give one per image.")
    if not matchings:
        raise InputError("A FROC needs at least one image.")
    return froc_from_scores(
        np.concatenate([m.scores for m in matchings]),
        np.concatenate([m.is_hit for m in matchings]),
        sum(m.n_truth for m in matchings),
        float(np.sum(areas_cm2)),
    )


def sensitivity_at(curve: FrocCurve, fp_per_cm2: Sequence[float] = REPORTED_FP_PER_CM2) -> np.ndarray:
    """float64 (len(fp_per_cm2),): best sensitivity reachable with at most each given number of FP/cm²."""
    wanted = np.asarray(fp_per_cm2, dtype=np.float64)
    if np.any(~np.isfinite(wanted)) or np.any(wanted < 0):
        raise InputError(f"False positives per cm² must be finite and >= 0, got {list(fp_per_cm2)}.")
    # fp_per_cm2 is non-decreasing and starts at 0, so the last point at or below x is the best one.
    return curve.sensitivity[np.searchsorted(curve.fp_per_cm2, wanted, side="right") - 1]


def partial_auc(curve: FrocCurve, max_fp_per_cm2: float = 1.0) -> float:
    """Normalised partial area under the FROC step curve over [0, ``max_fp_per_cm2``] FP/cm², in [0, 1]."""
    if not (np.isfinite(max_fp_per_cm2) and max_fp_per_cm2 > 0):
        raise InputError(f"The FP/cm² limit of the partial AUC must be positive, got {max_fp_per_cm2!r}.")
    edges = np.r_[np.minimum(curve.fp_per_cm2, max_fp_per_cm2), max_fp_per_cm2]
    return float(np.sum(curve.sensitivity * np.diff(edges)) / max_fp_per_cm2)
