"""Benign/malignant classification of Tong et al. (Front. Oncol. 2024) on a feature matrix, and the breast-level
combination of CC and MLO views of Lin et al. 2023.

Typical use::

    report = cross_validate(X, y, patient_ids, feature_names)          # Figure 9 table: report.table_rows()
    trained = train_classifier(X, y, patient_ids, feature_names)       # calibrated AdaBoost with a card
    save_classifier(trained, user_classifiers_dir() / trained.card.name)
    probability = load_classifier("adaboost_classifier").predict_probability(features_of_one_image)
    breast = combine_views(cc_probability, mlo_probability)

Modules: :mod:`.algorithms` (the seven pipelines), :mod:`.metrics` (AUC with bootstrap interval, Brier, reliability),
:mod:`.cross_validation` (patient-grouped folds), :mod:`.calibrated_classifier` (training, card, prediction),
:mod:`.classifier_store` (skops folders), :mod:`.breast_level` (CC + MLO rule). Feature names are data here: this
package does not import the feature extraction. scikit-learn and skops are imported only inside functions.
"""

from .algorithms import ALL_ALGORITHMS, DEFAULT_ALGORITHM, ClassifierAlgorithm, build_pipeline, parse_algorithm
from .breast_level import BreastResult, CombinationRule, breast_patient_id, combine_views
from .calibrated_classifier import (
    ISOTONIC_MIN_CASES,
    ClassifierCard,
    TrainedClassifier,
    calibration_method_for,
    train_classifier,
)
from .classifier_store import (
    DEFAULT_CLASSIFIER_NAME,
    ClassifierEntry,
    list_classifiers,
    load_classifier,
    read_classifier_card,
    save_classifier,
    shipped_classifiers_dir,
    user_classifiers_dir,
)
from .cross_validation import AlgorithmResult, CrossValidationReport, FeatureImportance, cross_validate, patient_folds
from .metrics import (
    ClassificationMetrics,
    ReliabilityCurve,
    bootstrap_auc_interval,
    brier_score,
    evaluate_probabilities,
    reliability_curve,
    roc_auc,
    threshold_metrics,
)

__all__ = [
    "ALL_ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_CLASSIFIER_NAME",
    "ISOTONIC_MIN_CASES",
    "AlgorithmResult",
    "BreastResult",
    "ClassificationMetrics",
    "ClassifierAlgorithm",
    "ClassifierCard",
    "ClassifierEntry",
    "CombinationRule",
    "CrossValidationReport",
    "FeatureImportance",
    "ReliabilityCurve",
    "TrainedClassifier",
    "bootstrap_auc_interval",
    "breast_patient_id",
    "brier_score",
    "build_pipeline",
    "calibration_method_for",
    "combine_views",
    "cross_validate",
    "evaluate_probabilities",
    "list_classifiers",
    "load_classifier",
    "shipped_classifiers_dir",
    "parse_algorithm",
    "patient_folds",
    "read_classifier_card",
    "reliability_curve",
    "roc_auc",
    "save_classifier",
    "threshold_metrics",
    "train_classifier",
    "user_classifiers_dir",
]
