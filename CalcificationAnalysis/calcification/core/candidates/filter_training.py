"""Training the candidate filter on one or more tables (:mod:`.training_table`), with grouped cross-validation so
the figures it reports come from backgrounds the fold never saw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .candidate_features import FEATURE_NAMES
from .candidate_filter import new_estimator


@dataclass(frozen=True)
class FilterTable:
    """Rows of one or more table files: features (n, F) float32, labels (n,) 0/1, and per row its image group,
    kind (``normal``/``blended``/``synthetic``) and pixel spacing in mm."""

    features: np.ndarray
    labels: np.ndarray
    group: np.ndarray
    kind: np.ndarray
    spacing: np.ndarray

    def subset(self, keep: np.ndarray) -> FilterTable:
        return FilterTable(self.features[keep], self.labels[keep], self.group[keep], self.kind[keep],
                           self.spacing[keep])  # fmt: skip


def read_tables(paths: list[Path]) -> FilterTable:
    """Concatenate table files written by :func:`~.training_table.save_rows`; InputError if one is unreadable or
    has other feature columns."""
    parts = []
    for path in paths:
        try:
            with np.load(path, allow_pickle=False) as data:
                parts.append({k: data[k] for k in ("features", "labels", "group", "kind", "spacing")})
        except (OSError, ValueError, KeyError) as exc:
            raise InputError(f"{path} is not a candidate table: {exc}") from exc
        if parts[-1]["features"].shape[1:] != (len(FEATURE_NAMES),):
            raise InputError(f"{path} has {parts[-1]['features'].shape[1:]} feature columns, not {len(FEATURE_NAMES)}.")
    return FilterTable(*(np.concatenate([p[k] for p in parts]) for k in ("features", "labels", "group", "kind",
                                                                          "spacing")))  # fmt: skip


def fit_filter(table: FilterTable, seed: int = 0):
    """The filter trained on every row of ``table``. Positives are weighted so both classes weigh the same in total
    (candidates are mostly false; unweighted, the trees would learn to say 'no' everywhere)."""
    labels = table.labels.astype(int)
    if labels.min() == labels.max():
        raise InputError("The candidate table needs both calcifications and false candidates to train a filter.")
    weights = np.where(labels == 1, (labels == 0).sum() / max((labels == 1).sum(), 1), 1.0)
    estimator = new_estimator(seed)
    estimator.fit(table.features, labels, sample_weight=weights)
    return estimator


def out_of_fold_probability(table: FilterTable, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Each row's probability from a filter trained on the folds that do not hold its group (GroupKFold)."""
    from sklearn.model_selection import GroupKFold

    probability = np.zeros(len(table.labels), np.float32)
    for train, test in GroupKFold(n_splits=folds).split(table.features, table.labels, table.group):
        estimator = fit_filter(table.subset(train), seed)
        probability[test] = estimator.predict_proba(table.features[test])[:, 1]
    return probability


def thinned_negatives(table: FilterTable, fraction: float, seed: int = 0) -> FilterTable:
    """Every positive row and a random ``fraction`` of the negative rows (false candidates outnumber true ones about
    fifty to one; a fraction keeps training minutes short and changes little, as positives are re-weighted)."""
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"The fraction of negatives to keep must lie in (0, 1], got {fraction}.")
    keep = (table.labels == 1) | (np.random.default_rng(seed).random(len(table.labels)) < fraction)
    return table.subset(keep)


def cross_validated_figures(table: FilterTable, probability: np.ndarray, threshold: float) -> dict:
    """Candidate-level figures of out-of-fold ``probability`` at ``threshold``: ROC AUC, and per pixel spacing the
    share of true candidates kept and of false candidates kept."""
    from sklearn.metrics import roc_auc_score

    figures = {"roc_auc": round(float(roc_auc_score(table.labels, probability)), 4)}
    kept = probability >= threshold
    for spacing in np.unique(table.spacing):
        here = table.spacing == spacing
        true, false = here & (table.labels == 1), here & (table.labels == 0)
        figures[f"kept_true_at_{spacing:g}mm"] = round(float(kept[true].mean()), 4) if true.any() else None
        figures[f"kept_false_at_{spacing:g}mm"] = round(float(kept[false].mean()), 4) if false.any() else None
    return figures
