"""Classifier training data without patients: measure synthetic cases the way ``calcification analyze`` measures a
mammogram.

Each case of a synthetic series (Terrassin et al. 2024 style: benign or malignant morphology and distribution, with
``class_overlap`` swapping clusters between the classes) is segmented by the chosen method (the default segmenter
unless told otherwise), and the segmentation, not the ground-truth mask, is measured with the same
:func:`~calcification.logic.workflows.analysis_workflow.analyze_mammogram` as at analysis time. A classifier trained on
these rows therefore sees the segmenter's misses and false positives, as it will on real images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...core.errors import InputError
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.synthetic import CaseLabel, SynthesisConfig, generate_case
from ..workflows.analysis_workflow import analyze_mammogram, image_feature_row


@dataclass(frozen=True)
class SyntheticFeatureRows:
    """``features.csv`` rows (FEATURES form) and ``case_id, patient_id, label`` rows (LABELS form), case order;
    ``model_name`` of the segmenter that was measured (None for Hessian-DoG)."""

    features: list
    labels: list
    model_name: Optional[str]


def measure_synthetic_cases(
    n_cases: int,
    seed: int,
    config: SynthesisConfig,
    segmenter=None,
    progress: ProgressCallback = None,
) -> SyntheticFeatureRows:
    """Generate cases ``0..n_cases-1`` of series ``seed``, segment each with ``segmenter`` and measure the result.

    Parameters
    ----------
    n_cases, seed : int
        Series size and seed (same arguments, same rows).
    config : SynthesisConfig
        Size, spacing and class overlap of the cases.
    segmenter : SegmenterChoice or str, optional
        As :func:`~calcification.core.segmentation.segment_mammogram` (the default method when None).
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels (CancelledError).

    Raises
    ------
    InputError
        ``n_cases`` < 1, a negative seed, or a model that cannot be loaded.
    """
    from ...core.segmentation import segment_mammogram

    if n_cases < 1:
        raise InputError(f"Measure at least 1 synthetic case, not {n_cases}.")
    if seed < 0:
        raise InputError(f"The synthetic series seed must be a whole number >= 0, got {seed}.")
    feature_rows, label_rows, model_name = [], [], None
    for index in range(n_cases):
        stage = sub_progress(progress, index / n_cases, (index + 1) / n_cases)
        report_progress(stage, 0.0, f"Synthetic case {index + 1} of {n_cases}")
        case = generate_case(config, seed=seed, index=index)
        if case.record.label is CaseLabel.NORMAL:
            continue  # no calcification to judge (only with clusters_per_case allowing 0)
        segmentation = segment_mammogram(case.mammogram, segmenter, sub_progress(stage, 0.2, 0.9))
        model_name = model_name or segmentation.details.get("model_name")
        analysis, _, _ = analyze_mammogram(case.mammogram, segmentation.labels > 0, False, segmentation.breast)
        record = case.record
        feature_rows.append(image_feature_row(record.case_id, record.patient_id, case.mammogram, analysis.features))
        label_rows.append({"case_id": record.case_id, "patient_id": record.patient_id, "label": record.label.value})
    report_progress(progress, 1.0, f"Measured {len(feature_rows)} synthetic cases")
    return SyntheticFeatureRows(feature_rows, label_rows, model_name)
