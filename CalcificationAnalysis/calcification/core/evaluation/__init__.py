"""Evaluation of calcification segmenters: pixel metrics with bootstrap intervals over images (Tong et al. 2024,
Tables 2-3), object matching and FROC (Marasinou et al. 2023), and the figures of a report.

Public entry point: :func:`evaluate_segmentations`; the building blocks are importable from their modules.
"""

from .bootstrap import ConfidenceInterval, bootstrap_pixel_metrics, bootstrap_statistic
from .froc import FrocCurve, froc_curve, froc_from_scores, partial_auc, sensitivity_at
from .object_matching import ObjectMatching, ScoreRule, match_objects
from .pixel_metrics import PixelCounts, pixel_counts, pixel_metrics, pooled_counts
from .segmenter_evaluation import EvaluationSettings, ImageEvaluation, SegmenterEvaluation, evaluate_segmentations

__all__ = [
    "ConfidenceInterval",
    "EvaluationSettings",
    "FrocCurve",
    "ImageEvaluation",
    "ObjectMatching",
    "PixelCounts",
    "ScoreRule",
    "SegmenterEvaluation",
    "bootstrap_pixel_metrics",
    "bootstrap_statistic",
    "evaluate_segmentations",
    "froc_curve",
    "froc_from_scores",
    "match_objects",
    "partial_auc",
    "pixel_counts",
    "pixel_metrics",
    "pooled_counts",
    "sensitivity_at",
]
