"""Metrics of a benign/malignant probability: ROC AUC with a bootstrap interval, threshold metrics, Brier score and a
reliability curve, in pure numpy (no scikit-learn import, so tables can be rebuilt from saved probabilities quickly).

Tong et al. (Front. Oncol. 2024, Figure 9) compare classifiers by AUC, accuracy, sensitivity and specificity; the
Brier score and reliability curve are added here because the shipped probability is calibrated and shown to users.
Labels are 1 = malignant (positive), 0 = benign.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError

DEFAULT_THRESHOLD = 0.5
DEFAULT_N_BOOT = 1000


@dataclass(frozen=True)
class ClassificationMetrics:
    """Metrics of probabilities against labels; NaN where undefined (e.g. sensitivity with no malignant case).

    ``auc_low`` / ``auc_high`` bound the 95% stratified-bootstrap interval of ``auc``; accuracy, sensitivity and
    specificity are at ``threshold`` (probability >= threshold counts as malignant).
    """

    auc: float
    auc_low: float
    auc_high: float
    accuracy: float
    sensitivity: float
    specificity: float
    brier: float
    threshold: float
    n_cases: int
    n_malignant: int

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN becomes None, since JSON has no NaN)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> ClassificationMetrics:
        """Inverse of :meth:`to_dict`; InputError on missing or non-numeric entries."""
        values = {}
        for name in cls.__dataclass_fields__:
            value = data.get(name, float("nan")) if isinstance(data, dict) else None
            try:
                values[name] = (
                    int(value) if name in ("n_cases", "n_malignant") else float("nan" if value is None else value)
                )
            except (TypeError, ValueError):
                raise InputError(f"The classifier card's metric {name!r} is not a number: {value!r}.") from None
        return cls(**values)


@dataclass(frozen=True, eq=False)
class ReliabilityCurve:
    """Reliability (calibration) curve over equal-width probability bins.

    Attributes
    ----------
    bin_edges : (n_bins + 1,) float64
        0 to 1.
    mean_predicted, observed_fraction : (n_bins,) float64
        Mean probability and share of malignant cases per bin; NaN in empty bins.
    counts : (n_bins,) int64
        Cases per bin.
    """

    bin_edges: np.ndarray
    mean_predicted: np.ndarray
    observed_fraction: np.ndarray
    counts: np.ndarray


def check_labels_and_probabilities(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    """Labels as int64 0/1 and probabilities as float64 in [0, 1], both (n_cases,); InputError otherwise."""
    y = np.asarray(labels)
    p = np.asarray(probabilities, dtype=np.float64)
    if y.ndim != 1 or p.shape != y.shape:
        raise InputError(f"Labels and probabilities must be 1-D of equal length, got shapes {y.shape} and {p.shape}.")
    if y.size == 0:
        raise InputError("No cases to evaluate.")
    if not np.isin(y, (0, 1)).all():
        raise InputError("Labels must be 0 (benign) or 1 (malignant).")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise InputError("Probabilities must be finite and within [0, 1].")
    return y.astype(np.int64), p


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their mean rank (as scipy.stats.rankdata(method='average'))."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], sorted_values.size]  # exclusive
    mean_rank = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def roc_auc(labels, probabilities) -> float:
    """Area under the ROC curve by the Mann-Whitney rank statistic (ties count one half).

    Parameters
    ----------
    labels : (n_cases,) array of 0/1
    probabilities : (n_cases,) float in [0, 1]

    Returns
    -------
    float
        AUC in [0, 1]; NaN when only one class is present (the AUC is undefined then).
    """
    y, p = check_labels_and_probabilities(labels, probabilities)
    return _auc_unchecked(y, p)


def _auc_unchecked(y: np.ndarray, p: np.ndarray) -> float:
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = _average_ranks(p)[y == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def bootstrap_auc_interval(
    labels, probabilities, n_boot: int = DEFAULT_N_BOOT, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC, resampling malignant and benign cases separately.

    Stratified resampling keeps both classes in every resample, so no resample is degenerate and the interval uses
    all ``n_boot`` draws (Efron & Tibshirani 1993, percentile method).

    Parameters
    ----------
    labels, probabilities : (n_cases,) arrays
    n_boot : int
        Number of resamples (>= 10).
    seed : int
        numpy Generator seed: the same inputs and seed give the same interval.
    level : float
        Coverage in (0, 1).

    Returns
    -------
    (low, high) : tuple of float
        NaN, NaN when a class is absent.
    """
    y, p = check_labels_and_probabilities(labels, probabilities)
    if n_boot < 10 or not 0 < level < 1:
        raise InputError(f"The bootstrap needs n_boot >= 10 and 0 < level < 1, got {n_boot} and {level}.")
    positives, negatives = p[y == 1], p[y == 0]
    if positives.size == 0 or negatives.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    y_boot = np.r_[np.ones(positives.size, np.int64), np.zeros(negatives.size, np.int64)]
    aucs = np.empty(n_boot)
    for b in range(n_boot):
        sample = np.r_[rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        aucs[b] = _auc_unchecked(y_boot, sample)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(aucs, [tail, 100.0 - tail])
    return float(low), float(high)


def threshold_metrics(labels, probabilities, threshold: float = DEFAULT_THRESHOLD) -> tuple[float, float, float]:
    """(accuracy, sensitivity, specificity) with probability >= ``threshold`` called malignant; NaN if undefined."""
    y, p = check_labels_and_probabilities(labels, probabilities)
    called = p >= threshold
    positives, negatives = y == 1, y == 0
    sensitivity = float(called[positives].mean()) if positives.any() else float("nan")
    specificity = float((~called[negatives]).mean()) if negatives.any() else float("nan")
    return float((called == positives).mean()), sensitivity, specificity


def brier_score(labels, probabilities) -> float:
    """Mean squared difference between probability and outcome (0 is perfect, 0.25 is a constant 0.5)."""
    y, p = check_labels_and_probabilities(labels, probabilities)
    return float(np.mean((p - y) ** 2))


def reliability_curve(labels, probabilities, n_bins: int = 10) -> ReliabilityCurve:
    """Observed malignant fraction against mean predicted probability in ``n_bins`` equal-width bins.

    A probability of exactly 1 falls into the last bin. See :class:`ReliabilityCurve` for the arrays.
    """
    y, p = check_labels_and_probabilities(labels, probabilities)
    if n_bins < 1:
        raise InputError(f"The reliability curve needs at least one bin, got {n_bins}.")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(bins, weights=p, minlength=n_bins) / counts
        observed = np.bincount(bins, weights=y.astype(np.float64), minlength=n_bins) / counts
    return ReliabilityCurve(edges, mean_predicted, observed, counts)


def evaluate_probabilities(
    labels, probabilities, threshold: float = DEFAULT_THRESHOLD, n_boot: int = DEFAULT_N_BOOT, seed: int = 0
) -> ClassificationMetrics:
    """All metrics of :class:`ClassificationMetrics` for one set of (out-of-fold) probabilities.

    Parameters
    ----------
    labels : (n_cases,) array of 0/1
    probabilities : (n_cases,) float in [0, 1]
    threshold : float
        Decision threshold for accuracy, sensitivity and specificity.
    n_boot, seed : int
        Bootstrap resamples and seed of the AUC interval.
    """
    y, p = check_labels_and_probabilities(labels, probabilities)
    low, high = bootstrap_auc_interval(y, p, n_boot=n_boot, seed=seed)
    accuracy, sensitivity, specificity = threshold_metrics(y, p, threshold)
    return ClassificationMetrics(
        auc=_auc_unchecked(y, p),
        auc_low=low,
        auc_high=high,
        accuracy=accuracy,
        sensitivity=sensitivity,
        specificity=specificity,
        brier=float(np.mean((p - y) ** 2)),
        threshold=float(threshold),
        n_cases=int(y.size),
        n_malignant=int(y.sum()),
    )
