"""PNG figures of a classifier evaluation: ROC curves of several algorithms (Tong et al. 2024, Figure 9), feature
importance (Figure 10) and the reliability (calibration) curve.

Drawn with matplotlib's bare ``Figure`` on the Agg backend, written atomically (see :mod:`.evaluation_plots`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

import numpy as np

from ..classification.metrics import reliability_curve, roc_auc
from ..errors import InputError
from .evaluation_plots import _new_figure, _save


def roc_points(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) of every threshold, from (0, 0) to (1, 1); ties form one step."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if y.size != p.size or y.min(initial=0) == y.max(initial=0):
        raise InputError("A ROC curve needs one probability per case and both classes.")
    order = np.argsort(-p, kind="stable")
    y, p = y[order], p[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(p)), y.size - 1]
    tps = np.cumsum(y)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    return np.r_[0.0, fps / (y.size - y.sum())], np.r_[0.0, tps / y.sum()]


def plot_roc_curves(
    labels, probabilities: Mapping[str, np.ndarray], path: Union[str, Path], title: str = "ROC, out-of-fold"
) -> Path:
    """ROC curve of each named set of probabilities (same cases, same labels), AUC in the legend, best first."""
    if not probabilities:
        raise InputError("Nothing to plot: give at least one set of probabilities.")
    figure = _new_figure((6.0, 5.5))
    axes = figure.add_subplot()
    ranked = sorted(probabilities.items(), key=lambda item: -roc_auc(labels, item[1]))
    for name, p in ranked:
        fpr, tpr = roc_points(labels, p)
        axes.plot(fpr, tpr, label=f"{name} (AUC {roc_auc(labels, p):.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    axes.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="1 - specificity", ylabel="Sensitivity", aspect="equal")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    return _save(figure, path)


def plot_feature_importance(
    names: Sequence[str],
    mean_drop: Sequence[float],
    std_drop: Sequence[float],
    path: Union[str, Path],
    title: str = "Permutation importance",
    top: int = 15,
) -> Path:
    """Horizontal bars of the ``top`` features by mean out-of-fold AUC drop, with ± one standard deviation."""
    mean, std = np.asarray(mean_drop, dtype=np.float64), np.asarray(std_drop, dtype=np.float64)
    if not (len(names) == mean.size == std.size) or mean.size == 0:
        raise InputError("Feature importance needs one mean and one spread per feature name.")
    order = np.argsort(-mean, kind="stable")[:top][::-1]  # most important at the top
    figure = _new_figure((6.0, 0.3 * order.size + 1.2))
    axes = figure.add_subplot()
    axes.barh([names[i] for i in order], mean[order], xerr=std[order], color="tab:blue", alpha=0.8)
    axes.axvline(0.0, color="grey", linewidth=1)
    axes.set(xlabel="Drop in out-of-fold AUC when the feature is shuffled")
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return _save(figure, path)


def plot_reliability(
    labels, probabilities: Mapping[str, np.ndarray], path: Union[str, Path], n_bins: int = 10, title: str = ""
) -> Path:
    """Observed malignant fraction against mean predicted probability per bin (marker size ~ cases in the bin), one
    line per named set of probabilities, the diagonal for perfect calibration."""
    if not probabilities:
        raise InputError("Nothing to plot: give at least one set of probabilities.")
    figure = _new_figure((5.5, 5.5))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="perfectly calibrated")
    for name, p in probabilities.items():
        curve = reliability_curve(labels, p, n_bins)
        filled = curve.counts > 0
        line = axes.plot(curve.mean_predicted[filled], curve.observed_fraction[filled], marker="", label=name)[0]
        sizes = 12 + 120 * curve.counts[filled] / max(1, curve.counts.max())
        axes.scatter(curve.mean_predicted[filled], curve.observed_fraction[filled], s=sizes, color=line.get_color())
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="Mean predicted probability",
        ylabel="Observed malignant fraction",
        aspect="equal",
    )
    axes.set_title(title or f"Reliability ({n_bins} bins)")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    return _save(figure, path)
