"""Comparison of a mammogram with the prior exam of the same breast and view, as ``calcification compare`` runs it
and a console user can call it: read both, check they are a pair, analyse both with the default pipeline, register
the prior onto the current exam and give each cluster a change status (:mod:`calcification.core.comparison`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...core.analysis.image_analysis import ImageAnalysis, analyze_mask
from ...core.comparison.change_status import ChangeThresholds
from ...core.comparison.exam_comparison import ExamComparison, compare_analysed_exams
from ...core.comparison.pair_check import check_exam_pair
from ...core.comparison.registration import RegistrationSettings
from ...core.image import Mammogram
from ...core.masking.breast_mask import compute_breast_mask
from ...core.progress import ProgressCallback, report_progress, sub_progress


@dataclass(frozen=True, eq=False)
class AnalysedExam:
    """One exam: the image, its analysis (calcifications and clusters), its breast mask with the muscle, and the
    segmentation method and its details (model name, threshold) for the DICOM results."""

    mammogram: Mammogram
    analysis: ImageAnalysis
    breast: np.ndarray
    segmentation_method: str = ""
    segmentation_details: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class PriorComparison:
    """Both exams and their comparison."""

    prior: AnalysedExam
    current: AnalysedExam
    comparison: ExamComparison

    def summary(self) -> str:
        return self.comparison.summary()


def analyse_exam(mammogram: Mammogram, segmenter=None, progress: ProgressCallback = None) -> AnalysedExam:
    """Segment ``mammogram`` with ``segmenter`` (the default method when None) and measure its clusters, as
    ``analyze`` does (vascular calcifications kept out of the clusters)."""
    from ...core.segmentation import segment_mammogram

    segmentation = segment_mammogram(mammogram, segmenter, sub_progress(progress, 0.0, 0.9))
    analysis = analyze_mask(
        mammogram.pixels,
        segmentation.labels > 0,
        mammogram.spacing_mm,
        segmentation.breast,
        None if segmentation.vascular_labels is None else segmentation.vascular_labels > 0,
    )
    breast = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).breast
    return AnalysedExam(mammogram, analysis, breast, segmentation.method, dict(segmentation.details))


def compare_exams(
    prior: AnalysedExam,
    current: AnalysedExam,
    settings: Optional[RegistrationSettings] = None,
    limits: Optional[ChangeThresholds] = None,
    progress: ProgressCallback = None,
) -> PriorComparison:
    """Compare two analysed exams (raises RegistrationError when the registration is too poor to call changes)."""
    comparison = compare_analysed_exams(
        prior.mammogram,
        prior.analysis,
        prior.breast,
        current.mammogram,
        current.analysis,
        current.breast,
        settings,
        limits,
        progress,
    )
    return PriorComparison(prior, current, comparison)


def compare_mammograms(
    prior: Mammogram,
    current: Mammogram,
    segmenter=None,
    force_pair: bool = False,
    progress: ProgressCallback = None,
) -> PriorComparison:
    """Check the pair, analyse both exams with the default pipeline and compare them.

    Parameters
    ----------
    prior, current : Mammogram
        The earlier and the later exam of one breast and view.
    segmenter : SegmenterChoice, str or None
        Segmentation method for both exams (the default when None).
    force_pair : bool
        Skip the tag checks (patient, laterality, view, study dates), e.g. for files without tags.
    progress : callable or None

    Raises
    ------
    InputError
        Not a pair (different patient, breast or view; prior dated after current).
    RegistrationError
        The registration failed or is too poor to call changes.
    """
    check_exam_pair(prior, current, force_pair)
    prior_exam = analyse_exam(prior, segmenter, sub_progress(progress, 0.0, 0.4))
    current_exam = analyse_exam(current, segmenter, sub_progress(progress, 0.4, 0.8))
    result = compare_exams(prior_exam, current_exam, progress=sub_progress(progress, 0.8, 1.0))
    report_progress(progress, 1.0, "Compared")
    return result


def read_exam(path: os.PathLike | str, spacing_mm: Optional[tuple[float, float]] = None) -> Mammogram:
    """Read one exam's image (any format the product reads), with ``spacing_mm`` (row, column) overriding the file's
    spacing."""
    from ...core.io import read_mammogram

    return read_mammogram(path, spacing_mm=None if spacing_mm is None else tuple(spacing_mm))
