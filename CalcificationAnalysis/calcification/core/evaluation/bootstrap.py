"""Percentile bootstrap confidence intervals over images (Efron and Tibshirani, An Introduction to the Bootstrap,
1993, ch. 13): images are the independent units, so whole images are resampled with replacement and the pooled
metric is recomputed on each resample; the interval is the (alpha/2, 1 - alpha/2) percentiles of those values.
Pixels of one image are strongly correlated, so resampling pixels would give intervals that are far too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .pixel_metrics import METRIC_NAMES, PixelCounts, counts_matrix, metrics_from_counts

#: Resamples drawn when none is given.
DEFAULT_N_BOOT = 1000


@dataclass(frozen=True)
class ConfidenceInterval:
    """A pooled value with its percentile bootstrap interval (``low <= value <= high`` in all but odd cases)."""

    value: float
    low: float
    high: float
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high, "confidence": self.confidence}


def _check(n_items: int, n_boot: int, confidence: float) -> None:
    if n_items < 1:
        raise InputError("A confidence interval needs at least one image.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise InputError(f"The number of bootstrap resamples must be a whole number >= 1, got {n_boot!r}.")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"The confidence level must lie strictly between 0 and 1, got {confidence!r}.")


def bootstrap_indices(n_items: int, n_boot: int = DEFAULT_N_BOOT, seed: int = 0) -> np.ndarray:
    """Resampled image indices, int64 (n_boot, n_items), drawn with replacement; same seed, same draws."""
    _check(n_items, n_boot, 0.95)
    return np.random.default_rng(seed).integers(0, n_items, size=(n_boot, n_items))


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """(low, high) percentiles of the bootstrap ``samples`` (1D float array) for a two-sided ``confidence``."""
    alpha = 1.0 - confidence
    low, high = np.percentile(np.asarray(samples, dtype=np.float64), [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def bootstrap_statistic(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Percentile interval of a statistic of per-image sums.

    Parameters
    ----------
    values : np.ndarray, shape (n_images, k)
        Per-image additive quantities (e.g. pixel counts, or hits and totals).
    statistic : callable
        Maps summed values, shape (..., k), to the statistic, shape (...); vectorised over leading axes.
    n_boot, seed, confidence
        Number of resamples, generator seed, two-sided confidence level.

    Returns
    -------
    ConfidenceInterval
        ``value`` is the statistic of all images (not a bootstrap mean).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise InputError(f"Per-image values must be a 2D array (images, quantities), got shape {values.shape}.")
    _check(values.shape[0], n_boot, confidence)
    indices = bootstrap_indices(values.shape[0], n_boot, seed)
    sums = values[indices].sum(axis=1)  # (n_boot, k): every resample pooled at once
    low, high = percentile_interval(statistic(sums), confidence)
    return ConfidenceInterval(float(statistic(values.sum(axis=0))), low, high, confidence)


def bootstrap_pixel_metrics(
    counts: Sequence[PixelCounts], n_boot: int = DEFAULT_N_BOOT, seed: int = 0, confidence: float = 0.95
) -> dict[str, ConfidenceInterval]:
    """Pooled Dice, IoU, recall, specificity and precision with percentile bootstrap intervals over images.

    Every metric uses the same resamples (one draw of image indices), so their intervals are comparable.
    """
    matrix = counts_matrix(counts)

    def statistic(name: str) -> Callable[[np.ndarray], np.ndarray]:
        return lambda sums: metrics_from_counts(*np.moveaxis(sums, -1, 0))[name]

    return {name: bootstrap_statistic(matrix, statistic(name), n_boot, seed, confidence) for name in METRIC_NAMES}
