"""Pixel-level overlap metrics of a segmentation against its ground truth (Tong et al., Front. Oncol. 2024,
Tables 2-3: Dice, IoU, recall/sensitivity, specificity; precision added for completeness).

Conventions, chosen so that no metric ever divides by zero and an empty-but-correct answer is not punished:

* Dice and IoU are 1 when truth and prediction are both empty (nothing to find, nothing claimed: perfect).
* Recall is 1 when the truth is empty (nothing was missed); precision is 1 when the prediction is empty (nothing
  false was claimed); specificity is 1 when the region holds no negative pixel.

Specificity is measured inside an optional region (e.g. the breast mask): the pixels outside it (air, labels) are
trivially negative and would push every method to 0.9999. Dice, IoU, recall and precision use the whole image, so a
prediction outside the region still counts as a false positive there.

Pooled metrics sum TP / FP / FN / TN over images first and then form the ratio (every pixel weighs the same), which
is what :func:`pooled_counts` and the bootstrap in :mod:`.bootstrap` do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError

#: Names of the metrics :meth:`PixelCounts.metrics` returns, in report order.
METRIC_NAMES = ("dice", "iou", "recall", "specificity", "precision")


def safe_ratio(numerator, denominator, empty_value: float = 1.0):
    """``numerator / denominator`` elementwise, ``empty_value`` where the denominator is 0 (floats or arrays)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, empty_value)


def metrics_from_counts(tp, fp, fn, tn, fp_region) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRIC_NAMES` from (arrays of) pixel counts, vectorised for the bootstrap.

    Parameters
    ----------
    tp, fp, fn : int or array of int
        True positives, false positives and false negatives over the whole image.
    tn, fp_region : int or array of int
        True negatives and false positives inside the specificity region.

    Returns
    -------
    dict of str -> float64 array (shape of the inputs)
    """
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    return {
        "dice": safe_ratio(2.0 * tp, 2.0 * tp + fp + fn),
        "iou": safe_ratio(tp, tp + fp + fn),
        "recall": safe_ratio(tp, tp + fn),
        "specificity": safe_ratio(tn, np.asarray(tn, dtype=np.float64) + fp_region),
        "precision": safe_ratio(tp, tp + fp),
    }


@dataclass(frozen=True)
class PixelCounts:
    """Confusion counts of one image (or, summed, of many).

    Attributes
    ----------
    tp, fp, fn : int
        True positive, false positive and false negative pixels over the whole image.
    tn, fp_region : int
        True negative and false positive pixels inside the specificity region (the whole image without a region).
    """

    tp: int
    fp: int
    fn: int
    tn: int
    fp_region: int

    def __add__(self, other: PixelCounts) -> PixelCounts:
        return PixelCounts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        """(tp, fp, fn, tn, fp_region)."""
        return self.tp, self.fp, self.fn, self.tn, self.fp_region

    def metrics(self) -> dict[str, float]:
        """Dice, IoU, recall, specificity and precision as floats in [0, 1] (conventions in the module notes)."""
        return {name: float(value) for name, value in metrics_from_counts(*self.as_tuple()).items()}


def _as_bool_mask(array, name: str, shape: Optional[tuple[int, ...]] = None) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2:
        raise InputError(f"The {name} must be a 2D image, got an array of shape {array.shape}.")
    if shape is not None and array.shape != shape:
        raise InputError(f"The {name} has shape {array.shape} but the truth has shape {shape}; they must match.")
    return array > 0 if array.dtype != bool else array


def pixel_counts(truth: np.ndarray, prediction: np.ndarray, region: Optional[np.ndarray] = None) -> PixelCounts:
    """Confusion counts of ``prediction`` against ``truth``.

    Parameters
    ----------
    truth, prediction : np.ndarray, shape (rows, cols)
        Masks or label images; any non-zero pixel is foreground.
    region : np.ndarray of bool, shape (rows, cols), optional
        Where specificity is measured (e.g. the breast); the whole image when None.

    Returns
    -------
    PixelCounts

    Raises
    ------
    InputError
        Arrays that are not 2D or whose shapes differ.
    """
    truth = _as_bool_mask(truth, "ground truth")
    prediction = _as_bool_mask(prediction, "prediction", truth.shape)
    region = np.ones(truth.shape, dtype=bool) if region is None else _as_bool_mask(region, "region", truth.shape)
    tp = int(np.count_nonzero(truth & prediction))
    fp_mask = prediction & ~truth
    return PixelCounts(
        tp=tp,
        fp=int(np.count_nonzero(fp_mask)),
        fn=int(np.count_nonzero(truth & ~prediction)),
        tn=int(np.count_nonzero(region & ~truth & ~prediction)),
        fp_region=int(np.count_nonzero(fp_mask & region)),
    )


def pixel_metrics(truth: np.ndarray, prediction: np.ndarray, region: Optional[np.ndarray] = None) -> dict[str, float]:
    """Dice, IoU, recall, specificity (inside ``region``) and precision of one image; see :func:`pixel_counts`."""
    return pixel_counts(truth, prediction, region).metrics()


def pooled_counts(counts: Iterable[PixelCounts]) -> PixelCounts:
    """Sum of the counts of many images (pooled metrics are ratios of these sums); zeros for no image."""
    total = PixelCounts(0, 0, 0, 0, 0)
    for item in counts:
        total = total + item
    return total


def counts_matrix(counts: Iterable[PixelCounts]) -> np.ndarray:
    """int64 array (n_images, 5): one row (tp, fp, fn, tn, fp_region) per image, for the bootstrap."""
    rows = [item.as_tuple() for item in counts]
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), 5)
