"""Time patient-grouped cross-validation of the seven Tong et al. (2024) classifiers (reported, not asserted).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_classifiers.py [--cases 500] [--features 35] [--patients 200]
        [--folds 5] [--n-boot 1000] [--seed 0] [--train]

Builds a synthetic feature matrix the size of the paper's image vector (35 features): four informative columns
(the first two named like the paper's calc_num and clu_num), the rest noise, 5% of values missing, about 2.5 cases
per patient. Runs ``cross_validate`` over all seven algorithms (fits, out-of-fold predictions, the bootstrap AUC
interval and AdaBoost's permutation importance) and prints per algorithm the out-of-fold AUC with its 95% interval
and the fit + predict seconds, then the total wall time. ``--train`` also times ``train_classifier`` (calibrated
AdaBoost, nested cross-validation for its card) and a save / load of the skops folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from calcification.core.classification import (
    cross_validate,
    load_classifier,
    save_classifier,
    train_classifier,
)


def synthetic_matrix(n_cases: int, n_features: int, n_patients: int, seed: int):
    """(X, y, groups, names) with a known signal in the first four columns."""
    rng = np.random.default_rng(seed)
    groups = np.sort(np.r_[np.arange(n_patients), rng.integers(0, n_patients, n_cases - n_patients)])
    X = rng.normal(size=(n_cases, n_features))
    logit = 1.5 * X[:, 0] - 1.2 * X[:, 1] + 0.8 * X[:, 2] * X[:, 3]  # an interaction only some models can use
    y = (rng.random(n_cases) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    X[rng.random(X.shape) < 0.05] = np.nan
    names = ["calc_num", "clu_num"] + [f"feature_{k}" for k in range(2, n_features)]
    return X, y, np.array([f"P{g:04d}" for g in groups]), names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--features", type=int, default=35)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train", action="store_true", help="also time train_classifier and save/load")
    args = parser.parse_args()

    X, y, groups, names = synthetic_matrix(args.cases, args.features, args.patients, args.seed)
    print(f"{args.cases} cases x {args.features} features, {np.unique(groups).size} patients, {y.sum()} malignant")
    start = time.perf_counter()
    import sklearn.ensemble  # noqa: F401  (timed apart: the first cross_validate would otherwise include it)

    print(f"scikit-learn import: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    report = cross_validate(X, y, groups, names, folds=args.folds, seed=args.seed, n_boot=args.n_boot)
    total = time.perf_counter() - start
    print(f"{'algorithm':<22}{'AUC':>7}  {'95% CI':<15}{'acc':>6}{'sens':>6}{'spec':>6}{'Brier':>7}{'seconds':>9}")
    for result in report.results:
        m = result.metrics
        print(
            f"{result.algorithm.display_name:<22}{m.auc:>7.3f}  [{m.auc_low:.3f}, {m.auc_high:.3f}] "
            f"{m.accuracy:>6.3f}{m.sensitivity:>6.3f}{m.specificity:>6.3f}{m.brier:>7.3f}{result.seconds:>9.2f}"
        )
    print(f"top features ({report.importance.algorithm.display_name}, permutation):", report.importance.ranked()[:4])
    print(f"total cross_validate seconds: {total:.2f} (fits: {sum(r.seconds for r in report.results):.2f})")
    if args.train:
        time_training(X, y, groups, names, args)


def time_training(X, y, groups, names, args) -> None:
    start = time.perf_counter()
    trained = train_classifier(X, y, groups, names, seed=args.seed, folds=args.folds, n_boot=args.n_boot)
    seconds = time.perf_counter() - start
    m = trained.card.metrics
    print(
        f"train_classifier ({trained.card.algorithm.display_name}, {trained.card.calibration_method}): {seconds:.2f} s,"
        f" AUC {m.auc:.3f} [{m.auc_low:.3f}, {m.auc_high:.3f}], Brier {m.brier:.3f}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        folder = save_classifier(trained, Path(scratch) / "classifier")
        saved = time.perf_counter() - start
        start = time.perf_counter()
        loaded = load_classifier(folder)
        loaded_s = time.perf_counter() - start
        size = (folder / "classifier.skops").stat().st_size
        same = np.array_equal(loaded.predict_probability(X), trained.predict_probability(X))
    print(f"save {saved:.2f} s, load {loaded_s:.2f} s, file {size / 1024:.0f} KiB, identical probabilities: {same}")


if __name__ == "__main__":
    main()
