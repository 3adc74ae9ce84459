"""Tests of the Tong et al. (2024) classifiers, their metrics and patient-grouped cross-validation on synthetic
feature matrices with a known signal (no image is needed: the package works on a plain feature matrix)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from calcification.core.classification import (
    ClassifierAlgorithm,
    bootstrap_auc_interval,
    brier_score,
    build_pipeline,
    cross_validate,
    evaluate_probabilities,
    patient_folds,
    reliability_curve,
    roc_auc,
    threshold_metrics,
)
from calcification.core.classification.algorithms import single_threaded
from calcification.core.errors import CancelledError, InputError

N_BOOT = 200  # enough for a stable interval here, a fifth of the default's time
NAMES = ["calc_num", "clu_num"] + [f"noise_{k}" for k in range(6)]


def signal_matrix(seed: int = 0, n_cases: int = 200, n_patients: int = 80, informative: bool = True):
    """(X, y, groups): two informative columns (calc_num up, clu_num down with malignancy) plus six noise columns,
    5% of values missing; 2-3 cases per patient. With ``informative=False`` labels are independent of X."""
    rng = np.random.default_rng(seed)
    groups = np.sort(np.r_[np.arange(n_patients), rng.integers(0, n_patients, n_cases - n_patients)])
    X = rng.normal(size=(n_cases, len(NAMES)))
    logit = 3.0 * X[:, 0] - 2.5 * X[:, 1] if informative else np.zeros(n_cases)
    y = (rng.random(n_cases) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, y, np.array([f"P{g:03d}" for g in groups])


@pytest.fixture(scope="module")
def signal_report():
    X, y, groups = signal_matrix()
    return cross_validate(X, y, groups, NAMES, folds=5, seed=0, n_boot=N_BOOT, n_repeats=3)


def test_every_algorithm_finds_the_signal(signal_report):
    assert [r.algorithm for r in signal_report.results] == list(ClassifierAlgorithm)
    for result in signal_report.results:
        m = result.metrics
        assert m.auc > 0.8, result.algorithm
        assert m.auc_low <= m.auc <= m.auc_high
        assert np.isfinite(result.probabilities).all()
        assert result.probabilities.min() >= 0 and result.probabilities.max() <= 1
        assert m.n_cases == 200 and m.brier < 0.25
    rows = signal_report.table_rows()
    assert [row["algorithm"] for row in rows][-1] == "AdaBoost"
    assert {"auc", "auc_low", "auc_high", "accuracy", "sensitivity", "specificity", "brier", "seconds"} <= set(rows[0])
    assert signal_report.best().metrics.auc == max(r.metrics.auc for r in signal_report.results)


def test_folds_never_split_a_patient_and_keep_both_classes(signal_report):
    folds_per_patient = {}
    for patient, fold in zip(signal_report.groups, signal_report.fold_of_case, strict=True):
        folds_per_patient.setdefault(patient, set()).add(int(fold))
    assert all(len(folds) == 1 for folds in folds_per_patient.values())
    assert sorted(set(signal_report.fold_of_case.tolist())) == [0, 1, 2, 3, 4]
    _, y, groups = signal_matrix(seed=3)
    splits = patient_folds(y, groups, folds=4, seed=7)
    all_validation = np.sort(np.concatenate([v for _, v in splits]))
    np.testing.assert_array_equal(all_validation, np.arange(y.size))  # every case validated exactly once
    for train, validation in splits:
        assert not set(groups[train]) & set(groups[validation])
        assert set(y[validation]) == {0, 1}


def test_permutation_importance_ranks_the_informative_features_first(signal_report):
    importance = signal_report.importance
    assert importance.algorithm is ClassifierAlgorithm.ADABOOST
    assert {name for name, _ in importance.ranked()[:2]} == {"calc_num", "clu_num"}
    assert importance.mean_auc_drop[0] > 0.05 and importance.mean_auc_drop[1] > 0.05
    assert np.all(np.abs(importance.mean_auc_drop[2:]) < 0.05)


def test_pure_noise_gives_an_interval_containing_one_half():
    X, y, groups = signal_matrix(seed=1, informative=False)
    report = cross_validate(X, y, groups, NAMES, algorithms=["adaboost"], n_boot=N_BOOT, importance_algorithm=None)
    metrics = report.result(ClassifierAlgorithm.ADABOOST).metrics
    assert metrics.auc_low < 0.5 < metrics.auc_high
    assert report.importance is None


def test_auc_equals_sklearn_with_ties_and_interval_contains_it():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    p = np.round(np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1), 1)  # rounding makes many ties
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    low, high = bootstrap_auc_interval(y, p, n_boot=N_BOOT, seed=2)
    assert low < roc_auc(y, p) < high
    assert (low, high) == bootstrap_auc_interval(y, p, n_boot=N_BOOT, seed=2)
    assert np.isnan(roc_auc(np.ones(5, int), np.linspace(0, 1, 5)))


def test_threshold_brier_and_reliability_on_hand_computed_cases():
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.4, 0.5, 0.1, 0.0])
    accuracy, sensitivity, specificity = threshold_metrics(y, p)  # 0.5 counts as malignant
    assert (accuracy, sensitivity, specificity) == pytest.approx((0.6, 0.5, 2 / 3))
    assert brier_score(y, y.astype(float)) == 0.0
    assert brier_score(y, np.full(5, 0.5)) == pytest.approx(0.25)
    curve = reliability_curve(y, p, n_bins=2)
    np.testing.assert_array_equal(curve.counts, [3, 2])
    np.testing.assert_allclose(curve.mean_predicted, [(0.4 + 0.1 + 0.0) / 3, (0.9 + 0.5) / 2])
    np.testing.assert_allclose(curve.observed_fraction, [1 / 3, 1 / 2])
    empty_bins = reliability_curve(y, p, n_bins=10)
    assert empty_bins.counts.sum() == 5 and np.isnan(empty_bins.mean_predicted[2])
    metrics = evaluate_probabilities(y, y.astype(float), n_boot=50)
    assert (metrics.auc, metrics.brier, metrics.accuracy) == (1.0, 0.0, 1.0)


def test_pipeline_imputes_and_scales_from_training_data_only():
    X, y, _ = signal_matrix(seed=2)
    train = np.arange(100)
    with single_threaded():
        for algorithm in ClassifierAlgorithm:
            pipeline = build_pipeline(algorithm, seed=0, n_training_cases=100)
            assert [name for name, _ in pipeline.steps] == ["impute", "scale", "model"]
            pipeline.fit(X[train], y[train])
            assert pipeline.predict_proba(X[100:]).shape == (100, 2)
    np.testing.assert_allclose(pipeline.named_steps["impute"].statistics_, np.nanmedian(X[train], axis=0))
    with pytest.raises(InputError, match="adaboost"):
        build_pipeline("xgboost")


def test_importing_the_package_does_not_import_sklearn():
    code = "import sys, calcification.core.classification; print('sklearn' in sys.modules, 'skops' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_progress_is_reported_and_cancel_stops():
    X, y, groups = signal_matrix(seed=4, n_cases=60, n_patients=30)
    seen = []
    cross_validate(X, y, groups, NAMES, ["logistic_regression", "knn"], n_boot=50, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(CancelledError):
        cross_validate(X, y, groups, NAMES, ["logistic_regression"], n_boot=50, progress=lambda f, m: f < 0.3)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X, y, g: (X, y, np.r_[np.zeros(30, int), np.ones(30, int) + np.arange(30) % 3]), "patients"),
        (lambda X, y, g: (X, np.where(np.arange(60) < 3, 1, 0), g), "malignant"),
        (lambda X, y, g: (np.c_[X[:, :-1], np.full(60, np.nan)], y, g), "noise_5"),
        (lambda X, y, g: (X[:50], y, g), "labels"),
        (lambda X, y, g: (X, np.where(y == 1, 2, 0), g), "0 \\(benign\\)"),
        (lambda X, y, g: (X, np.zeros(60, int), g), "both"),
        (lambda X, y, g: (np.where(np.arange(8) == 0, np.inf, X), y, g), "Infinite"),
        (lambda X, y, g: (X[:, :3], y, g), "feature names"),
    ],
)
def test_bad_input_is_refused_with_a_useful_message(change, message):
    X, y, groups = signal_matrix(seed=4, n_cases=60, n_patients=30)
    X2, y2, g2 = change(X, y, groups)
    with pytest.raises(InputError, match=message):
        cross_validate(X2, y2, g2, NAMES, ["logistic_regression"], folds=5, n_boot=50)
