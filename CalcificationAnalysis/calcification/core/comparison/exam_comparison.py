"""Two analysed exams of one breast and view in, the registration and a change status per cluster out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..image import Mammogram
from ..progress import ProgressCallback, report_progress
from .change_status import ChangeThresholds
from .findings import ExamFindings, findings_from_analysis
from .matching import ClusterChange, compare_findings, status_counts
from .registration import Registration, RegistrationSettings, register_prior


@dataclass(frozen=True, eq=False)
class ExamComparison:
    """The comparison of a current exam with its prior.

    Attributes
    ----------
    registration : Registration
        Prior onto current, with its quality figures.
    changes : list of ClusterChange
        One row per cluster (current clusters first, then prior-only ones).
    prior_findings, current_findings : ExamFindings
    """

    registration: Registration
    changes: list[ClusterChange]
    prior_findings: ExamFindings
    current_findings: ExamFindings

    @property
    def counts(self) -> dict[str, int]:
        """Clusters per status."""
        return status_counts(self.changes)

    def summary(self) -> str:
        """One line, e.g. ``"2 clusters: 1 new, 1 stable (breast overlap 0.98, texture correlation 0.80)"``."""
        counts = {k: v for k, v in self.counts.items() if v}
        words = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no clusters on either exam"
        total = len(self.changes)
        noun = "cluster" if total == 1 else "clusters"
        return f"{total} {noun}: {words} ({self.registration.quality_text})"


def compare_analysed_exams(
    prior: Mammogram,
    prior_analysis,
    prior_breast: np.ndarray,
    current: Mammogram,
    current_analysis,
    current_breast: np.ndarray,
    settings: RegistrationSettings | None = None,
    limits: ChangeThresholds | None = None,
    progress: ProgressCallback = None,
) -> ExamComparison:
    """Register the prior onto the current exam, refuse a poor registration, then match clusters and call changes.

    Parameters
    ----------
    prior, current : Mammogram
        The two exams (pixel spacings may differ).
    prior_analysis, current_analysis : ImageAnalysis
        Each exam's analysis (:func:`~calcification.core.analysis.image_analysis.analyze_mask`).
    prior_breast, current_breast : np.ndarray, bool
        Breast masks with the pectoral muscle (``compute_breast_mask(...).breast``), for the registration.
    settings, limits : optional
        Registration settings and change limits.
    progress : callable or None

    Raises
    ------
    RegistrationError
        When the registration fails or its quality is below the limits (no changes are called then).
    """
    report_progress(progress, 0.0, "Registering the prior onto the current exam")
    registration = register_prior(
        current.pixels, current.spacing_mm, current_breast, prior.pixels, prior.spacing_mm, prior_breast, settings
    )
    registration.check_acceptable()
    report_progress(progress, 0.8, "Matching clusters")
    prior_findings = findings_from_analysis(prior_analysis)
    current_findings = findings_from_analysis(current_analysis)
    changes = compare_findings(prior_findings, current_findings, registration, limits)
    report_progress(progress, 1.0, "Compared")
    return ExamComparison(registration, changes, prior_findings, current_findings)
