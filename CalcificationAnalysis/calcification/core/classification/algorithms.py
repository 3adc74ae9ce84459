"""The seven benign/malignant classifiers compared by Tong et al. (Front. Oncol. 2024, Figure 9), as sklearn pipelines.

Every pipeline is ``SimpleImputer(median) -> StandardScaler -> estimator``. Imputer and scaler are steps of the
pipeline, so inside cross-validation they are fitted on the training fold only and never see validation cases.
Median imputation fills features that a case cannot have (e.g. a cluster feature on an image without clusters) with
the training median; scaling matters for the distance- and margin-based models (k-NN, SVM, logistic regression) and
changes nothing for the tree models.

scikit-learn is imported inside :func:`build_pipeline` only, so importing this module (as the Slicer module does to
fill its algorithm list) stays fast.
"""

from __future__ import annotations

import enum
from typing import Optional, Union

from ..errors import InputError


class ClassifierAlgorithm(str, enum.Enum):
    """Classifier families of Tong et al. 2024; AdaBoost performed best there and is the default."""

    DECISION_TREE = "decision_tree"
    LOGISTIC_REGRESSION = "logistic_regression"
    SVM = "svm"
    KNN = "knn"
    RANDOM_FOREST = "random_forest"
    GRADIENT_BOOSTING = "gradient_boosting"  # XGBoost's role in the paper, by sklearn's HistGradientBoosting
    ADABOOST = "adaboost"

    @property
    def display_name(self) -> str:
        """Name for tables and menus, as the paper writes it."""
        return _DISPLAY_NAMES[self]


DEFAULT_ALGORITHM = ClassifierAlgorithm.ADABOOST
ALL_ALGORITHMS: tuple[ClassifierAlgorithm, ...] = tuple(ClassifierAlgorithm)

_DISPLAY_NAMES = {
    ClassifierAlgorithm.DECISION_TREE: "Decision tree",
    ClassifierAlgorithm.LOGISTIC_REGRESSION: "Logistic regression",
    ClassifierAlgorithm.SVM: "SVM",
    ClassifierAlgorithm.KNN: "k-NN",
    ClassifierAlgorithm.RANDOM_FOREST: "Random forest",
    ClassifierAlgorithm.GRADIENT_BOOSTING: "Gradient boosting",
    ClassifierAlgorithm.ADABOOST: "AdaBoost",
}

#: k of k-NN; capped at a third of the training cases so tiny training sets still work.
KNN_NEIGHBOURS = 15


def parse_algorithm(value: Union[str, ClassifierAlgorithm]) -> ClassifierAlgorithm:
    """The algorithm named by ``value`` (enum member or its value, case-insensitive); InputError listing the names."""
    if isinstance(value, ClassifierAlgorithm):
        return value
    try:
        return ClassifierAlgorithm(str(value).strip().lower())
    except ValueError:
        known = ", ".join(a.value for a in ClassifierAlgorithm)
        raise InputError(f"Unknown classifier algorithm {value!r}; choose one of: {known}.") from None


def _estimator(algorithm: ClassifierAlgorithm, seed: int, n_training_cases: Optional[int]):
    """The unfitted estimator with the hyper-parameters documented in :func:`build_pipeline`."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import AdaBoostClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    if algorithm is ClassifierAlgorithm.DECISION_TREE:
        return DecisionTreeClassifier(max_depth=4, min_samples_leaf=5, random_state=seed)
    if algorithm is ClassifierAlgorithm.LOGISTIC_REGRESSION:
        return LogisticRegression(C=1.0, max_iter=2000)
    if algorithm is ClassifierAlgorithm.SVM:
        # SVC(probability=True) is deprecated since scikit-learn 1.9; this is its documented replacement (Platt
        # scaling on internal folds, one SVC refitted on all training cases).
        svc = SVC(kernel="rbf", C=1.0, gamma="scale", random_state=seed)
        return CalibratedClassifierCV(svc, method="sigmoid", cv=3, ensemble=False)
    if algorithm is ClassifierAlgorithm.KNN:
        k = KNN_NEIGHBOURS if n_training_cases is None else max(1, min(KNN_NEIGHBOURS, n_training_cases // 3))
        return KNeighborsClassifier(n_neighbors=k, weights="distance")
    if algorithm is ClassifierAlgorithm.RANDOM_FOREST:
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1)
    if algorithm is ClassifierAlgorithm.GRADIENT_BOOSTING:
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=150,
            max_depth=3,
            min_samples_leaf=10,
            early_stopping=False,
            random_state=seed,
        )
    # AdaBoost (SAMME) over decision stumps: the paper's best model.
    stump = DecisionTreeClassifier(max_depth=1, random_state=seed)
    return AdaBoostClassifier(estimator=stump, n_estimators=100, learning_rate=0.5, random_state=seed)


def single_threaded():
    """Context manager limiting BLAS and OpenMP (HistGradientBoosting) to one thread.

    Feature matrices have hundreds of rows: threads gain little on them, but on shared cores (CI, a workstation
    running Slicer) OpenMP's spinning threads can make a fit ten times slower. Model fitting and cross-validation run
    inside it.
    """
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    return threadpool_limits(limits=1)


def build_pipeline(
    algorithm: Union[str, ClassifierAlgorithm] = DEFAULT_ALGORITHM,
    seed: int = 0,
    n_training_cases: Optional[int] = None,
):
    """An unfitted ``Pipeline(impute -> scale -> model)`` for one algorithm.

    Hyper-parameters (fixed, chosen for a few hundred cases with tens of features; Tong et al. do not publish theirs):

    - decision_tree: depth <= 4, >= 5 cases per leaf (a readable tree that does not memorise).
    - logistic_regression: L2, C = 1.
    - svm: RBF kernel, C = 1, gamma = "scale"; probabilities by Platt scaling (3 internal folds).
    - knn: k = 15 distance-weighted neighbours (at most a third of ``n_training_cases`` when given).
    - random_forest: 200 trees, >= 2 cases per leaf, one thread (the CI machine has two shared cores).
    - gradient_boosting: HistGradientBoosting, 150 rounds of depth-3 trees, learning rate 0.05, no early stopping
      (early stopping would hold out a random, patient-ungrouped tenth).
    - adaboost: 100 decision stumps, learning rate 0.5 (SAMME).

    Parameters
    ----------
    algorithm : ClassifierAlgorithm or str
    seed : int
        random_state of every randomised estimator: same data and seed, same model.
    n_training_cases : int, optional
        Only caps k of k-NN.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"impute"``, ``"scale"``, ``"model"``.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    algorithm = parse_algorithm(algorithm)
    # keep_empty_features: a column that is all-NaN in one training fold stays a column (filled with 0), so the
    # model always sees the card's feature count.
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", _estimator(algorithm, int(seed), n_training_cases)),
        ]
    )
