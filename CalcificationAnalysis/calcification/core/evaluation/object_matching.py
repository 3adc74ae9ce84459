"""Object-level matching of predicted calcifications to true ones, with the localisation rule of Marasinou et al.
(Cancers 2023, "Segmentation of breast microcalcifications: a multi-scale approach with self-supervised refinement"):
a prediction hits a true calcification when their centroids are at most 0.35 mm apart OR their IoU is at least 0.3.

Matching is one-to-one and greedy by score: predictions are visited from the highest score down, and each takes the
free true object it overlaps most (largest IoU, then nearest centroid). Because a prediction's match depends only on
predictions with a higher score, the matches of every score threshold are prefixes of this one pass, which is what
lets :mod:`.froc` sweep thresholds without matching again. A second prediction on an already-matched calcification
is a false positive (one-to-one).

A predicted object's score is its mean (or max) probability over its pixels when a probability map is given, else 1.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..errors import InputError
from ..image import validate_spacing_mm

#: Marasinou et al. 2023 localisation rule: centroid distance (mm) and IoU that make a hit.
HIT_DISTANCE_MM = 0.35
HIT_MIN_IOU = 0.3


class ScoreRule(str, enum.Enum):
    """How a predicted object's score is taken from the probability map: mean or maximum over its pixels."""

    MEAN = "mean"
    MAX = "max"


@dataclass(frozen=True)
class LabelledObjects:
    """Objects of one label image, compacted to indices 0..n-1 in increasing label order.

    Attributes
    ----------
    index_image : np.ndarray, int64 (rows, cols)
        -1 on background, else the object's index.
    labels : np.ndarray, int64 (n,)
        Original label value of each object.
    areas_px : np.ndarray, int64 (n,)
    centroids_mm : np.ndarray, float64 (n, 2)
        (row, col) centroid in mm from the image corner.
    """

    index_image: np.ndarray
    labels: np.ndarray
    areas_px: np.ndarray
    centroids_mm: np.ndarray

    @property
    def count(self) -> int:
        return int(self.labels.size)


def labelled_objects(label_image: np.ndarray, spacing_mm: tuple[float, float]) -> LabelledObjects:
    """Objects of ``label_image``: an int instance map (each non-zero value one object, even if split) or a bool
    mask (8-connected components).

    Raises
    ------
    InputError
        A label image that is not 2D, negative labels, or an unusable spacing.
    """
    image = np.asarray(label_image)
    if image.ndim != 2:
        raise InputError(f"A label image must be 2D, got shape {image.shape}.")
    if image.dtype == bool:
        image = ndimage.label(image, structure=np.ones((3, 3), dtype=bool))[0]
    elif not np.issubdtype(image.dtype, np.integer):
        raise InputError(f"A label image must hold whole numbers or booleans, got {image.dtype}.")
    elif image.size and image.min() < 0:
        raise InputError("A label image must not hold negative labels.")
    rows, cols = np.nonzero(image)
    labels, compact = np.unique(image[rows, cols].astype(np.int64), return_inverse=True)
    index_image = np.full(image.shape, -1, dtype=np.int64)
    index_image[rows, cols] = compact
    areas = np.bincount(compact, minlength=labels.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre_r = np.bincount(compact, weights=rows, minlength=labels.size) / areas
        centre_c = np.bincount(compact, weights=cols, minlength=labels.size) / areas
    row_mm, col_mm = validate_spacing_mm(spacing_mm)
    centroids = np.column_stack([centre_r * row_mm, centre_c * col_mm]).reshape(labels.size, 2)
    return LabelledObjects(index_image, labels, areas.astype(np.int64), centroids)


def object_scores(objects: LabelledObjects, probability: Optional[np.ndarray], rule: ScoreRule) -> np.ndarray:
    """float64 (n,): each object's mean or max of ``probability`` over its pixels; ones without a map."""
    if probability is None:
        return np.ones(objects.count)
    probability = np.asarray(probability, dtype=np.float64)
    if probability.shape != objects.index_image.shape:
        raise InputError(f"The probability map has shape {probability.shape}, the labels {objects.index_image.shape}.")
    inside = objects.index_image >= 0
    index, values = objects.index_image[inside], probability[inside]
    if ScoreRule(rule) is ScoreRule.MEAN:
        return np.bincount(index, weights=values, minlength=objects.count) / np.maximum(objects.areas_px, 1)
    scores = np.full(objects.count, -np.inf)
    np.maximum.at(scores, index, values)
    return scores


@dataclass(frozen=True)
class ObjectMatching:
    """Result of :func:`match_objects` for one image.

    Attributes
    ----------
    n_truth : int
        Number of true calcifications.
    scores : np.ndarray, float64 (n_pred,)
        Score of each predicted object (in the prediction's label order).
    matched_truth : np.ndarray, int64 (n_pred,)
        Index (0..n_truth-1, in truth label order) of the true object each prediction hit; -1 for a false positive.
    matched_iou : np.ndarray, float64 (n_pred,)
        IoU of each matched pair (0 for a hit by distance alone without overlap, and for false positives).
    """

    n_truth: int
    scores: np.ndarray
    matched_truth: np.ndarray
    matched_iou: np.ndarray

    @property
    def n_predicted(self) -> int:
        return int(self.scores.size)

    @property
    def is_hit(self) -> np.ndarray:
        """bool (n_pred,): True where the prediction matched a true calcification."""
        return self.matched_truth >= 0

    @property
    def n_hit(self) -> int:
        return int(np.count_nonzero(self.is_hit))

    @property
    def n_false_positive(self) -> int:
        return self.n_predicted - self.n_hit

    @property
    def pair_ious(self) -> np.ndarray:
        """float64 (n_hit,): IoU of every matched pair."""
        return self.matched_iou[self.is_hit]


def _pair_ious(truth: LabelledObjects, predicted: LabelledObjects) -> dict[tuple[int, int], float]:
    """IoU of every (truth index, prediction index) pair that shares at least one pixel."""
    both = (truth.index_image >= 0) & (predicted.index_image >= 0)
    keys = truth.index_image[both] * max(predicted.count, 1) + predicted.index_image[both]
    pairs, overlaps = np.unique(keys, return_counts=True)
    t_index, p_index = np.divmod(pairs, max(predicted.count, 1))
    union = truth.areas_px[t_index] + predicted.areas_px[p_index] - overlaps
    return {(int(t), int(p)): float(o / u) for t, p, o, u in zip(t_index, p_index, overlaps, union, strict=True)}


def _candidates(truth, predicted, ious, distance_mm, min_iou) -> list[dict[int, float]]:
    """Per prediction: {truth index: IoU} of every true object it would hit (near centroid or enough overlap)."""
    found: list[dict[int, float]] = [{} for _ in range(predicted.count)]
    if truth.count and predicted.count:
        near = cKDTree(truth.centroids_mm).query_ball_point(predicted.centroids_mm, r=distance_mm)
        for p, truths in enumerate(near):
            found[p].update((t, ious.get((t, p), 0.0)) for t in truths)
    for (t, p), iou in ious.items():
        if iou >= min_iou:
            found[p][t] = iou
    return found


def match_objects(
    truth: np.ndarray,
    prediction: np.ndarray,
    spacing_mm: tuple[float, float],
    probability: Optional[np.ndarray] = None,
    distance_mm: float = HIT_DISTANCE_MM,
    min_iou: float = HIT_MIN_IOU,
    score_rule: ScoreRule = ScoreRule.MEAN,
) -> ObjectMatching:
    """Match predicted objects to true calcifications, one-to-one, greedy by score (Marasinou et al. 2023).

    Parameters
    ----------
    truth : np.ndarray, int instance map or bool mask, shape (rows, cols)
    prediction : np.ndarray, int label image or bool mask (8-connected components), shape (rows, cols)
    spacing_mm : (float, float)
        Pixel spacing (row, col) in mm; centroid distances are measured in mm.
    probability : np.ndarray of float, shape (rows, cols), optional
        Calcification probability; gives each predicted object its score (1.0 for all without it).
    distance_mm, min_iou : float
        A hit needs centroid distance <= ``distance_mm`` or IoU >= ``min_iou``.
    score_rule : ScoreRule
        Mean (default) or max probability over the object.

    Returns
    -------
    ObjectMatching
    """
    truth_objects = labelled_objects(truth, spacing_mm)
    predicted = labelled_objects(prediction, spacing_mm)
    if predicted.index_image.shape != truth_objects.index_image.shape:
        raise InputError(
            f"Prediction shape {predicted.index_image.shape} differs from truth shape "
            f"{truth_objects.index_image.shape}."
        )
    scores = object_scores(predicted, probability, score_rule)
    candidates = _candidates(truth_objects, predicted, _pair_ious(truth_objects, predicted), distance_mm, min_iou)
    matched_truth = np.full(predicted.count, -1, dtype=np.int64)
    matched_iou = np.zeros(predicted.count)
    taken: set[int] = set()
    for p in np.argsort(-scores, kind="stable"):  # ties keep label order, so the result is deterministic
        centre = predicted.centroids_mm[p]
        free = [
            (iou, -float(np.hypot(*(truth_objects.centroids_mm[t] - centre))), -t)
            for t, iou in candidates[p].items()
            if t not in taken
        ]
        if free:  # the largest IoU wins, then the nearest centroid, then the lowest label
            iou, _, negative_t = max(free)
            matched_truth[p], matched_iou[p] = -negative_t, iou
            taken.add(-negative_t)
    return ObjectMatching(truth_objects.count, scores, matched_truth, matched_iou)
