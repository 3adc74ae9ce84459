"""Patient-grouped cross-validation of the Tong et al. (Front. Oncol. 2024) classifiers on a feature matrix.

Every case of a patient (both views, both breasts) stays in one fold, so no score is inflated by a model having seen
the same patient in training. Metrics are computed once on the pooled out-of-fold probabilities (one probability per
case, from the model that did not see its patient), which is what the paper's Figure 9 table reports per algorithm.

Feature importance is the permutation importance on the out-of-fold data: for each feature, its values are shuffled
within each validation fold (``n_repeats`` times) and the pooled out-of-fold AUC is recomputed; the importance is the
mean drop in AUC. Unlike an estimator's own importances this works for all seven algorithms, is measured on cases the
model did not see, and is in AUC units a reader can interpret. Correlated features share their importance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from ..errors import InputError
from ..progress import ProgressCallback, report_progress
from .algorithms import (
    ALL_ALGORITHMS,
    DEFAULT_ALGORITHM,
    ClassifierAlgorithm,
    build_pipeline,
    parse_algorithm,
    single_threaded,
)
from .metrics import DEFAULT_N_BOOT, DEFAULT_THRESHOLD, ClassificationMetrics, _auc_unchecked, evaluate_probabilities

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class AlgorithmResult:
    """One algorithm's cross-validation: out-of-fold probabilities (n_cases,) float64, metrics, fit+predict time."""

    algorithm: ClassifierAlgorithm
    probabilities: np.ndarray
    metrics: ClassificationMetrics
    seconds: float


@dataclass(frozen=True, eq=False)
class FeatureImportance:
    """Permutation importance: mean and standard deviation (over repeats) of the out-of-fold AUC drop per feature."""

    algorithm: ClassifierAlgorithm
    feature_names: tuple[str, ...]
    mean_auc_drop: np.ndarray
    std_auc_drop: np.ndarray

    def ranked(self) -> list[tuple[str, float]]:
        """(feature, mean AUC drop), most important first."""
        order = np.argsort(-self.mean_auc_drop, kind="stable")
        return [(self.feature_names[i], float(self.mean_auc_drop[i])) for i in order]


@dataclass(frozen=True, eq=False)
class CrossValidationReport:
    """Result of :func:`cross_validate`.

    Attributes
    ----------
    feature_names : tuple of str
    labels : (n_cases,) int64
    groups : (n_cases,) str patient ids
    fold_of_case : (n_cases,) int64
        Validation fold of each case.
    results : tuple of AlgorithmResult
        In the order the algorithms were requested.
    importance : FeatureImportance or None
        For ``importance_algorithm`` when it was cross-validated.
    """

    feature_names: tuple[str, ...]
    labels: np.ndarray
    groups: np.ndarray
    fold_of_case: np.ndarray
    results: tuple[AlgorithmResult, ...]
    importance: Optional[FeatureImportance]

    def result(self, algorithm: Union[str, ClassifierAlgorithm]) -> AlgorithmResult:
        """The result of one algorithm; InputError when it was not cross-validated."""
        wanted = parse_algorithm(algorithm)
        for result in self.results:
            if result.algorithm is wanted:
                return result
        raise InputError(f"{wanted.display_name} was not part of this cross-validation.")

    def best(self) -> AlgorithmResult:
        """The result with the highest out-of-fold AUC."""
        return max(self.results, key=lambda r: -np.inf if np.isnan(r.metrics.auc) else r.metrics.auc)

    def table_rows(self) -> list[dict]:
        """One dict per algorithm (the paper's Figure 9 table): name, AUC with 95% CI, accuracy, sensitivity,
        specificity, Brier score, seconds."""
        return [
            {"algorithm": r.algorithm.display_name, **r.metrics.to_dict(), "seconds": round(r.seconds, 3)}
            for r in self.results
        ]


def check_training_data(X, y, groups, feature_names) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validated copies: X (n_cases, n_features) float64, y int64 0/1, groups str, feature names tuple.

    Raises
    ------
    InputError
        Wrong shapes, duplicate or mismatching names, non-numeric or infinite values, NaN-only columns, labels other
        than 0/1 or only one class.
    """
    names = tuple(str(n) for n in feature_names)
    try:
        matrix = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("The feature matrix must hold numbers only.") from None
    labels, patients = np.asarray(y), np.asarray(groups).astype(str)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise InputError(f"The feature matrix must be 2-D (cases x features) and non-empty, got shape {matrix.shape}.")
    if labels.shape != (matrix.shape[0],) or patients.shape != (matrix.shape[0],):
        raise InputError(
            f"{matrix.shape[0]} cases need as many labels and patient ids, got {labels.shape} and {patients.shape}."
        )
    if len(names) != matrix.shape[1] or len(set(names)) != len(names):
        raise InputError(f"{matrix.shape[1]} feature columns need as many distinct feature names, got {names}.")
    if np.isinf(matrix).any():
        bad = [names[j] for j in np.flatnonzero(np.isinf(matrix).any(axis=0))]
        raise InputError(f"Infinite values in features {bad}; fix the feature extraction or remove them.")
    empty = [names[j] for j in np.flatnonzero(np.isnan(matrix).all(axis=0))]
    if empty:
        raise InputError(f"Features {empty} are missing (NaN) in every case; remove them before training.")
    if not np.isin(labels, (0, 1)).all():
        raise InputError("Labels must be 0 (benign) or 1 (malignant).")
    if np.unique(labels).size < 2:
        raise InputError("Training needs both benign (0) and malignant (1) cases.")
    return matrix, labels.astype(np.int64), patients, names


def patient_folds(y: np.ndarray, groups: np.ndarray, folds: int = 5, seed: int = 0) -> list[Split]:
    """Patient-grouped (train, validation) index pairs, stratified by label when possible.

    StratifiedGroupKFold (shuffled with ``seed``) is tried first; if it leaves a validation fold empty or a training
    fold without a class, GroupKFold is used instead.

    Raises
    ------
    InputError
        Fewer than 2 folds, fewer patients than folds, fewer patients with a benign (or malignant) case than folds,
        or no split keeps both classes in every training fold.
    """
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    if folds < 2:
        raise InputError(f"Cross-validation needs at least 2 folds, got {folds}.")
    n_patients = np.unique(groups).size
    if n_patients < folds:
        raise InputError(f"{folds} folds need at least {folds} patients; the data have {n_patients}. Use fewer folds.")
    for label, name in ((0, "benign"), (1, "malignant")):
        with_class = np.unique(groups[y == label]).size
        if with_class < folds:
            raise InputError(
                f"{folds} folds need at least {folds} patients with a {name} case; the data have {with_class}. "
                "Use fewer folds or add cases."
            )
    placeholder = np.zeros((y.size, 1))
    for splitter in (StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed), GroupKFold(folds)):
        splits = [(np.sort(a), np.sort(b)) for a, b in splitter.split(placeholder, y, groups)]
        if all(v.size > 0 and np.unique(y[t]).size == 2 for t, v in splits):
            return splits
    raise InputError("No patient-grouped split keeps both classes in every training fold; use fewer folds.")


def out_of_fold_probabilities(
    X: np.ndarray, y: np.ndarray, splits: Sequence[Split], fit: Callable, progress: ProgressCallback = None
) -> tuple[np.ndarray, list]:
    """Malignant probability of every case from the model fitted without its fold, and the fitted models.

    ``fit(X_train, y_train, train_indices)`` returns a fitted model with ``predict_proba``.
    """
    probabilities = np.full(y.size, np.nan)
    models = []
    for k, (train, validation) in enumerate(splits):
        report_progress(progress, k / len(splits), f"Fold {k + 1} of {len(splits)}")
        model = fit(X[train], y[train], train)
        probabilities[validation] = _malignant_column(model, X[validation])
        models.append(model)
    report_progress(progress, 1.0, "Folds done")
    return probabilities, models


def _malignant_column(model, X: np.ndarray) -> np.ndarray:
    """predict_proba's column of class 1, clipped to [0, 1] against rounding."""
    column = list(model.classes_).index(1)
    return np.clip(model.predict_proba(X)[:, column], 0.0, 1.0)


def permutation_importance_oof(
    X: np.ndarray, y: np.ndarray, splits: Sequence[Split], models: Sequence, n_repeats: int = 5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) over repeats of the pooled out-of-fold AUC drop when each feature is shuffled within its fold."""
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    baseline = np.full(y.size, np.nan)
    permuted = np.empty((n_features, n_repeats, y.size))
    for (_, validation), model in zip(splits, models, strict=True):
        baseline[validation] = _malignant_column(model, X[validation])
        # every (feature, repeat) copy of this fold in one predict call: boosted ensembles predict tree by tree in
        # Python, so one large call is far faster than n_features * n_repeats small ones
        stacked = np.broadcast_to(X[validation], (n_features, n_repeats, *X[validation].shape)).copy()
        for j in range(n_features):
            for r in range(n_repeats):
                stacked[j, r, :, j] = rng.permutation(stacked[j, r, :, j])
        flat = _malignant_column(model, stacked.reshape(-1, n_features))
        permuted[:, :, validation] = flat.reshape(n_features, n_repeats, validation.size)
    base_auc = _auc_unchecked(y, baseline)
    drops = base_auc - np.array(
        [[_auc_unchecked(y, permuted[j, r]) for r in range(n_repeats)] for j in range(n_features)]
    )
    return drops.mean(axis=1), drops.std(axis=1)


def cross_validate(
    X,
    y,
    groups,
    feature_names: Sequence[str],
    algorithms: Optional[Sequence[Union[str, ClassifierAlgorithm]]] = None,
    folds: int = 5,
    seed: int = 0,
    progress: ProgressCallback = None,
    *,
    importance_algorithm: Optional[Union[str, ClassifierAlgorithm]] = DEFAULT_ALGORITHM,
    n_boot: int = DEFAULT_N_BOOT,
    threshold: float = DEFAULT_THRESHOLD,
    n_repeats: int = 5,
) -> CrossValidationReport:
    """Cross-validate classifiers with patient-grouped folds (Tong et al. 2024, Figure 9).

    Parameters
    ----------
    X : (n_cases, n_features) array-like of float
        One row per case (image or breast); NaN allowed (median-imputed from the training fold).
    y : (n_cases,) 0 = benign, 1 = malignant
    groups : (n_cases,) patient ids; a patient's cases never straddle folds.
    feature_names : sequence of str, one per column.
    algorithms : sequence of ClassifierAlgorithm or str, optional
        All seven when None.
    folds, seed : int
        Number of folds and the seed of the split, the models and the bootstrap.
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels (CancelledError).
    importance_algorithm : ClassifierAlgorithm or str or None
        Algorithm whose permutation importance is measured (when it is in ``algorithms``); None skips it.
    n_boot, threshold : bootstrap resamples of the AUC interval and the decision threshold.
    n_repeats : int
        Shuffles per feature in the permutation importance.

    Returns
    -------
    CrossValidationReport

    Raises
    ------
    InputError
        Bad matrix, labels, groups or fold count (see :func:`check_training_data` and :func:`patient_folds`).
    CancelledError
        When ``progress`` returned False.
    """
    X, y, groups, names = check_training_data(X, y, groups, feature_names)
    chosen = ALL_ALGORITHMS if algorithms is None else tuple(dict.fromkeys(parse_algorithm(a) for a in algorithms))
    if not chosen:
        raise InputError("Choose at least one classifier algorithm.")
    splits = patient_folds(y, groups, folds, seed)
    if ClassifierAlgorithm.SVM in chosen:
        _check_svm_folds(y, splits)
    explained = parse_algorithm(importance_algorithm) if importance_algorithm is not None else None
    steps = len(chosen) + (1 if explained in chosen else 0)
    results, importance, explained_models = [], None, None
    with single_threaded():
        for a, algorithm in enumerate(chosen):
            stage = _stage(progress, a / steps, (a + 1) / steps, algorithm.display_name)
            start = time.perf_counter()
            probabilities, models = out_of_fold_probabilities(
                X, y, splits, lambda Xt, yt, _, alg=algorithm: build_pipeline(alg, seed, yt.size).fit(Xt, yt), stage
            )
            seconds = time.perf_counter() - start
            metrics = evaluate_probabilities(y, probabilities, threshold, n_boot, seed)
            results.append(AlgorithmResult(algorithm, probabilities, metrics, seconds))
            explained_models = models if algorithm is explained else explained_models
        if explained_models is not None:
            report_progress(progress, len(chosen) / steps, f"Permutation importance ({explained.display_name})")
            mean, std = permutation_importance_oof(X, y, splits, explained_models, n_repeats, seed)
            importance = FeatureImportance(explained, names, mean, std)
    report_progress(progress, 1.0, "Cross-validation done")
    fold_of_case = np.empty(y.size, dtype=np.int64)
    for k, (_, validation) in enumerate(splits):
        fold_of_case[validation] = k
    return CrossValidationReport(names, y, groups, fold_of_case, tuple(results), importance)


#: Cases of each class the SVM needs in a training fold: its probabilities come from 3 internal Platt folds.
SVM_MIN_CASES_PER_CLASS = 3


def _check_svm_folds(y: np.ndarray, splits: Sequence[Split]) -> None:
    fewest = min(int(np.bincount(y[train], minlength=2).min()) for train, _ in splits)
    if fewest < SVM_MIN_CASES_PER_CLASS:
        raise InputError(
            f"The SVM needs at least {SVM_MIN_CASES_PER_CLASS} benign and {SVM_MIN_CASES_PER_CLASS} malignant cases "
            f"in every training fold (its probabilities come from internal folds); one fold has {fewest}. Add "
            "cases, use more folds, or leave the SVM out."
        )


def _stage(progress: ProgressCallback, start: float, end: float, name: str) -> ProgressCallback:
    """Progress of one algorithm's folds mapped onto [start, end], messages prefixed by the algorithm's name."""
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (end - start) * fraction, f"{name}: {message}")
