"""Training the candidate filter on one or more tables (:mod:`.training_table`), with grouped cross-validation so
the figures it reports come from backgrounds the fold never saw."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .candidate_features import FEATURE_NAMES
from .candidate_filter import new_estimator
from .context_features import context_features


@dataclass(frozen=True)
class FilterTable:
    """Rows of one or more table files: features (n, F) float32, labels (n,) 0/1, and per row its image group,
    kind (``normal``/``blended``/``synthetic``) and pixel spacing in mm."""

    features: np.ndarray
    labels: np.ndarray
    group: np.ndarray
    kind: np.ndarray
    spacing: np.ndarray
    image: np.ndarray  # per row: which image (unique over all files read)
    points_mm: np.ndarray  # per row: candidate position (row, col) in mm on its image

    def subset(self, keep: np.ndarray) -> FilterTable:
        return FilterTable(*(getattr(self, name)[keep] for name in _COLUMNS))


_COLUMNS = ("features", "labels", "group", "kind", "spacing", "image", "points_mm")


def read_tables(paths: list[Path]) -> FilterTable:
    """Concatenate table files written by :func:`~.training_table.save_rows`; InputError if one is unreadable or
    has other feature columns."""
    parts, images = [], 0
    for path in paths:
        try:
            with np.load(path, allow_pickle=False) as data:
                parts.append({k: data[k] for k in _COLUMNS})
                parts[-1]["image"] = parts[-1]["image"] + images
                images += len(data["image_rows"])
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            reason = f"{exc.strerror}" if isinstance(exc, OSError) and exc.strerror else f"{exc}" or "empty"
            raise InputError(
                f"{path} is not a candidate table from 'calcification candidate-table' ({reason})."
            ) from exc
        _check_shapes(parts[-1], path)
    return FilterTable(*(np.concatenate([p[k] for p in parts]) for k in _COLUMNS))


def _check_shapes(part: dict, path: Path) -> None:
    """One row per candidate in every column, the features' columns the filter's: a table edited or built by
    another version is refused before any training."""
    rows = len(part["labels"]) if np.ndim(part["labels"]) == 1 else -1
    shapes = {
        "features": (rows, len(FEATURE_NAMES)),
        "points_mm": (rows, 2),
        **{k: (rows,) for k in ("labels", "group", "kind", "spacing", "image")},
    }
    for key, shape in shapes.items():
        if rows < 0 or part[key].shape != shape:
            raise InputError(
                f"{path} is damaged or from another version: its {key!r} has shape {part[key].shape}, not {shape} "
                f"({len(FEATURE_NAMES)} features); rebuild it with 'calcification candidate-table'."
            )
    if part["features"].dtype.kind not in "fiu" or part["labels"].dtype.kind not in "iub":
        raise InputError(f"{path} is damaged: its features or labels are not numbers.")


def check_trainable(table: FilterTable, folds: int) -> None:
    """InputError unless ``table`` can train a filter with ``folds`` cross-validation folds (0: none): rows of both
    kinds, some finite features, and at least ``max(folds, 2)`` background images to fold by."""
    if len(table.labels) == 0:
        raise InputError("The candidate tables hold no rows; build them with more images or synthetic cases.")
    if not np.isfinite(table.features).any(axis=0).any():
        raise InputError("Every feature in the candidate tables is missing (NaN); rebuild them.")
    if (table.labels == 1).all() or (table.labels != 1).all():
        raise InputError("The candidate table needs both calcifications and false candidates to train a filter.")
    groups = len(set(table.group.tolist()))
    if folds < 0 or folds == 1:
        raise InputError(f"--folds must be 0 (no cross-validation) or 2 or more, got {folds}.")
    if max(folds, 2) > groups:
        raise InputError(
            f"--folds {folds} needs at least {max(folds, 2)} background images to fold by; the tables hold {groups}."
        )


def _fit(features: np.ndarray, labels: np.ndarray, seed: int):
    """Trees on ``features``. Positives are weighted so both classes weigh the same in total (candidates are mostly
    false; unweighted, the trees would learn to say 'no' everywhere)."""
    labels = labels.astype(int)
    if labels.min() == labels.max():
        raise InputError("The candidate table needs both calcifications and false candidates to train a filter.")
    weights = np.where(labels == 1, (labels == 0).sum() / max((labels == 1).sum(), 1), 1.0)
    estimator = new_estimator(seed)
    estimator.fit(features, labels, sample_weight=weights)
    return estimator


def _out_of_fold(features: np.ndarray, table: FilterTable, folds: int, seed: int) -> np.ndarray:
    """Each row's probability from trees trained on the folds that do not hold its group (GroupKFold)."""
    from sklearn.model_selection import GroupKFold

    probability = np.zeros(len(table.labels), np.float32)
    for train, test in GroupKFold(n_splits=folds).split(features, table.labels, table.group):
        probability[test] = _fit(features[train], table.labels[train], seed).predict_proba(features[test])[:, 1]
    return probability


def _with_context(table: FilterTable, first: np.ndarray) -> np.ndarray:
    return np.hstack([table.features, context_features(table.points_mm, first, table.image)])


def fit_filter(table: FilterTable, folds: int = 5, seed: int = 0):
    """Both looks of the filter trained on ``table``: (first, second). The second is trained on the first look's
    out-of-fold probabilities of the neighbours (stacking), as at inference its input comes from unseen images."""
    first = _fit(table.features, table.labels, seed)
    second = _fit(_with_context(table, _out_of_fold(table.features, table, folds, seed)), table.labels, seed)
    return first, second


def out_of_fold_probability(table: FilterTable, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Each row's two-look probability from filters that never saw its group: first-look out-of-fold probabilities
    feed the context, then the second look is cross-validated with the same grouping."""
    first = _out_of_fold(table.features, table, folds, seed)
    return _out_of_fold(_with_context(table, first), table, folds, seed)


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
