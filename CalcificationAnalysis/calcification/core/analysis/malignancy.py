"""The benign/malignant probability of one analysed image, with what the user must know about the classifier."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..classification import ClassifierCard, TrainedClassifier

#: Shown beside every probability from a classifier that never saw a real patient.
SYNTHETIC_CLASSIFIER_WARNING = (
    "This classifier was trained only on synthetic mammograms. Its probability is not validated on real patients "
    "and must not guide clinical decisions."
)


@dataclass(frozen=True)
class MalignancyResult:
    """Calibrated probability of malignancy in [0, 1] from the classifier described by ``card``."""

    probability: float
    card: ClassifierCard

    @property
    def classifier_name(self) -> str:
        return self.card.name

    @property
    def warning(self) -> str:
        """The synthetic-training warning, or "" for a classifier trained on real cases."""
        return SYNTHETIC_CLASSIFIER_WARNING if self.card.synthetic_training else ""

    def classifier_summary(self) -> str:
        """One line for panels and reports: algorithm, calibration, training data and cross-validated AUC."""
        card, metrics = self.card, self.card.metrics
        has_interval = math.isfinite(metrics.auc_low) and math.isfinite(metrics.auc_high)
        interval = f" (95% CI {metrics.auc_low:.2f}-{metrics.auc_high:.2f})" if has_interval else ""
        return (
            f"{card.name}: {card.algorithm.value}, {card.calibration_method} calibration, trained on {card.n_cases} "
            f"cases of {card.n_patients} patients ({card.trained_on}); cross-validated AUC {metrics.auc:.3f}{interval}"
        )


def judge_malignancy(features: Mapping[str, float], classifier: TrainedClassifier) -> MalignancyResult:
    """Probability of malignancy of one image from its feature dict (InputError when the features do not match)."""
    probability = float(classifier.predict_probability(dict(features))[0])
    return MalignancyResult(probability, classifier.card)
