"""Evaluation of a calcification segmenter on images with ground truth, in the terms of the papers the product
follows: pooled pixel Dice / IoU / recall / specificity with bootstrap intervals over images (Tong et al., Front.
Oncol. 2024, Tables 2-3) and object-level FROC with the 0.35 mm / IoU 0.3 localisation rule (Marasinou et al.,
Cancers 2023): sensitivity at 0.1 / 0.3 / 1 false positives per cm² of breast and the normalised partial AUC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..image import validate_spacing_mm
from .bootstrap import DEFAULT_N_BOOT, ConfidenceInterval, bootstrap_pixel_metrics, bootstrap_statistic
from .froc import REPORTED_FP_PER_CM2, FrocCurve, froc_curve, partial_auc, sensitivity_at
from .object_matching import HIT_DISTANCE_MM, HIT_MIN_IOU, ScoreRule, match_objects
from .pixel_metrics import pixel_counts, safe_ratio


@dataclass(frozen=True)
class EvaluationSettings:
    """How to evaluate: matching rule, bootstrap and FROC read-outs.

    Attributes
    ----------
    distance_mm, min_iou : float
        A predicted object hits a true one at centroid distance <= ``distance_mm`` or IoU >= ``min_iou``.
    score_rule : ScoreRule
        Object score from the probability map: mean (default) or max over its pixels.
    n_boot, seed, confidence
        Percentile bootstrap over images: resamples, generator seed, two-sided level.
    max_fp_per_cm2 : float
        Upper end of the partial FROC AUC.
    reported_fp_per_cm2 : tuple of float
        FP/cm² at which the sensitivity is read off.
    """

    distance_mm: float = HIT_DISTANCE_MM
    min_iou: float = HIT_MIN_IOU
    score_rule: ScoreRule = ScoreRule.MEAN
    n_boot: int = DEFAULT_N_BOOT
    seed: int = 0
    confidence: float = 0.95
    max_fp_per_cm2: float = 1.0
    reported_fp_per_cm2: tuple[float, ...] = REPORTED_FP_PER_CM2


@dataclass(frozen=True)
class ImageEvaluation:
    """One image's row: pixel metrics (conventions of :mod:`.pixel_metrics`), object counts at the method's operating
    point, region area (cm²) and mean IoU of the matched pairs (None without a match)."""

    name: str
    dice: float
    iou: float
    recall: float
    specificity: float
    precision: float
    n_truth: int
    n_predicted: int
    n_hit: int
    n_false_positive: int
    region_area_cm2: float
    mean_matched_iou: Optional[float]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SegmenterEvaluation:
    """Everything measured; :meth:`to_dict` is JSON-ready.

    Attributes
    ----------
    pooled : dict of str -> ConfidenceInterval
        Pooled (pixels summed over images) dice, iou, recall, specificity, precision with bootstrap intervals.
    mean_image_dice : float
        Unweighted mean of the per-image Dice (small images count as much as large ones).
    object_recall : ConfidenceInterval
        Share of true calcifications hit at the operating point, interval over images.
    fp_per_cm2 : float
        False positive objects per cm² of region at the operating point.
    mean_matched_iou : float or None
        Mean IoU over all matched pairs.
    froc : FrocCurve
    partial_auc : float
        Normalised FROC area over [0, settings.max_fp_per_cm2] FP/cm².
    sensitivity_at_fp : dict of float -> float
        Sensitivity at each of ``settings.reported_fp_per_cm2``.
    per_image : tuple of ImageEvaluation
    settings : EvaluationSettings
    """

    pooled: dict
    mean_image_dice: float
    object_recall: ConfidenceInterval
    fp_per_cm2: float
    mean_matched_iou: Optional[float]
    froc: FrocCurve
    partial_auc: float
    sensitivity_at_fp: dict
    per_image: tuple
    settings: EvaluationSettings

    @property
    def n_images(self) -> int:
        return len(self.per_image)

    def to_dict(self) -> dict:
        settings = asdict(self.settings)
        settings["score_rule"] = self.settings.score_rule.value
        return {
            "n_images": self.n_images,
            "pooled": {name: interval.to_dict() for name, interval in self.pooled.items()},
            "mean_image_dice": self.mean_image_dice,
            "object_recall": self.object_recall.to_dict(),
            "fp_per_cm2": self.fp_per_cm2,
            "mean_matched_iou": self.mean_matched_iou,
            "froc_partial_auc": self.partial_auc,
            "sensitivity_at_fp_per_cm2": {f"{fp:g}": value for fp, value in self.sensitivity_at_fp.items()},
            "froc": self.froc.to_dict(),
            "per_image": [row.to_dict() for row in self.per_image],
            "settings": settings,
        }


def _evaluate_image(name, truth, prediction, probability, region, spacing_mm, settings):
    """(ImageEvaluation, PixelCounts, ObjectMatching) of one image."""
    counts = pixel_counts(truth, prediction, region)
    matching = match_objects(
        truth, prediction, spacing_mm, probability, settings.distance_mm, settings.min_iou, settings.score_rule
    )
    region_px = np.asarray(truth).size if region is None else int(np.count_nonzero(region))
    pairs = matching.pair_ious
    row = ImageEvaluation(
        name=str(name),
        **counts.metrics(),
        n_truth=matching.n_truth,
        n_predicted=matching.n_predicted,
        n_hit=matching.n_hit,
        n_false_positive=matching.n_false_positive,
        region_area_cm2=region_px * spacing_mm[0] * spacing_mm[1] / 100.0,
        mean_matched_iou=float(pairs.mean()) if pairs.size else None,
    )
    return row, counts, matching


def evaluate_segmentations(
    pairs: Iterable[tuple],
    spacing_mm: tuple[float, float],
    names: Optional[Sequence[str]] = None,
    settings: EvaluationSettings = EvaluationSettings(),
) -> SegmenterEvaluation:
    """Evaluate predictions against ground truth over many images.

    Parameters
    ----------
    pairs : iterable of (truth, prediction, probability, region)
        Per image: ``truth`` int instance map (or bool mask), shape (rows, cols); ``prediction`` int label image or
        bool mask of the same shape; ``probability`` float map in [0, 1] or None (every object scores 1);
        ``region`` bool breast mask (specificity and FP/cm² are measured there) or None for the whole image.
        Consumed once, image by image, so a generator keeps only one image in memory.
    spacing_mm : (float, float)
        Pixel spacing (row, col) in mm of every image.
    names : sequence of str, optional
        Image names for the per-image rows; ``image_000``... by default.
    settings : EvaluationSettings

    Returns
    -------
    SegmenterEvaluation

    Raises
    ------
    InputError
        No image, mismatched shapes, an empty region, or a bad spacing.
    """
    spacing_mm = validate_spacing_mm(spacing_mm)
    rows, all_counts, matchings = [], [], []
    for index, (truth, prediction, probability, region) in enumerate(pairs):
        name = names[index] if names is not None else f"image_{index:03d}"
        row, counts, matching = _evaluate_image(name, truth, prediction, probability, region, spacing_mm, settings)
        rows.append(row)
        all_counts.append(counts)
        matchings.append(matching)
    if not rows:
        raise InputError("No image to evaluate; give at least one (truth, prediction, probability, region).")
    return _summarise(rows, all_counts, matchings, settings)


def _summarise(rows, all_counts, matchings, settings: EvaluationSettings) -> SegmenterEvaluation:
    boot = (settings.n_boot, settings.seed, settings.confidence)
    hits = np.array([[m.n_hit, m.n_truth] for m in matchings], dtype=np.float64)
    curve = froc_curve(matchings, [row.region_area_cm2 for row in rows])
    pair_ious = np.concatenate([m.pair_ious for m in matchings])
    reported = dict(zip(settings.reported_fp_per_cm2, sensitivity_at(curve, settings.reported_fp_per_cm2), strict=True))
    return SegmenterEvaluation(
        pooled=bootstrap_pixel_metrics(all_counts, *boot),
        mean_image_dice=float(np.mean([row.dice for row in rows])),
        object_recall=bootstrap_statistic(hits, lambda sums: safe_ratio(sums[..., 0], sums[..., 1]), *boot),
        fp_per_cm2=float(curve.fp_per_cm2[-1]),
        mean_matched_iou=float(pair_ious.mean()) if pair_ious.size else None,
        froc=curve,
        partial_auc=partial_auc(curve, settings.max_fp_per_cm2),
        sensitivity_at_fp={float(fp): float(s) for fp, s in reported.items()},
        per_image=tuple(rows),
        settings=settings,
    )
