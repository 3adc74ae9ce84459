"""Compare the seven classifiers of Tong et al. (Front. Oncol. 2024) on a training table and write what a reader
needs to choose one: the Figure 9 table, ROC curves, the chosen algorithm's feature importance (Figure 10) and its
calibration, for the probability as shipped (calibrated) and before calibration.

All metrics are patient-grouped out-of-fold (see :mod:`calcification.core.classification.cross_validation`). The
files are written together or not at all: ``algorithms.csv``, ``importance.csv``, ``out_of_fold.csv``,
``summary.json``, ``roc.png``, ``importance.png``, ``reliability.png``.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.atomic_files import write_text_atomically
from ...core.classification import DEFAULT_ALGORITHM, CrossValidationReport, cross_validate, parse_algorithm
from ...core.classification.algorithms import single_threaded
from ...core.classification.calibrated_classifier import calibrated_out_of_fold
from ...core.classification.cross_validation import check_training_data
from ...core.classification.metrics import ClassificationMetrics, evaluate_probabilities
from ...core.errors import InputError
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.reporting.csv_cells import SafeDictWriter
from .classifier_training_data import TrainingTable

#: Files an evaluation writes, in this order.
OUTPUT_NAMES = (
    "algorithms.csv",
    "importance.csv",
    "out_of_fold.csv",
    "summary.json",
    "roc.png",
    "importance.png",
    "reliability.png",
)


@dataclass(frozen=True, eq=False)
class ClassifierEvaluation:
    """The cross-validation of every algorithm, the calibrated chosen algorithm's metrics and probabilities, and the
    files written."""

    report: CrossValidationReport
    chosen: str
    calibrated: ClassificationMetrics
    calibrated_probabilities: object
    paths: tuple[Path, ...]

    def table_rows(self) -> list[dict]:
        """The Figure 9 rows plus one for the chosen algorithm as shipped (calibrated)."""
        shipped = {"algorithm": f"{self.chosen} (calibrated, as shipped)", **self.calibrated.to_dict(), "seconds": ""}
        return [*self.report.table_rows(), shipped]


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _out_of_fold_rows(table: TrainingTable, report: CrossValidationReport, calibrated) -> list[dict]:
    rows = []
    for i, case in enumerate(table.case_ids):
        row = {
            "case_id": case,
            "patient_id": table.patient_ids[i],
            "label": int(table.y[i]),
            "fold": int(report.fold_of_case[i]),
        }
        row.update({result.algorithm.value: repr(float(result.probabilities[i])) for result in report.results})
        row[f"{report.importance.algorithm.value}_calibrated"] = repr(float(calibrated[i]))
        rows.append(row)
    return rows


def _write_outputs(table: TrainingTable, evaluation: ClassifierEvaluation, settings: dict) -> None:
    from ...core.evaluation.classifier_plots import plot_feature_importance, plot_reliability, plot_roc_curves

    report, importance = evaluation.report, evaluation.report.importance
    paths = evaluation.paths
    order = sorted(range(len(report.feature_names)), key=lambda i: -importance.mean_auc_drop[i])
    ranked = [
        {
            "feature": report.feature_names[i],
            "mean_auc_drop": repr(float(importance.mean_auc_drop[i])),
            "std_auc_drop": repr(float(importance.std_auc_drop[i])),
        }
        for i in order
    ]
    summary = {**settings, "data": table.summary(), "algorithms": evaluation.table_rows(), "importance": ranked}
    probabilities = {r.algorithm.display_name: r.probabilities for r in report.results}
    chosen = report.result(importance.algorithm)
    try:
        write_text_atomically(paths[0], _csv_text(evaluation.table_rows()))
        write_text_atomically(paths[1], _csv_text(ranked))
        write_text_atomically(
            paths[2], _csv_text(_out_of_fold_rows(table, report, evaluation.calibrated_probabilities))
        )
        write_text_atomically(paths[3], json.dumps(summary, indent=2) + "\n")
        plot_roc_curves(table.y, probabilities, paths[4], title=f"ROC, patient-grouped {settings['folds']}-fold")
        plot_feature_importance(
            list(report.feature_names),
            importance.mean_auc_drop,
            importance.std_auc_drop,
            paths[5],
            title=f"Permutation importance, {evaluation.chosen}",
        )
        plot_reliability(
            table.y,
            {
                f"{evaluation.chosen}, calibrated": evaluation.calibrated_probabilities,
                f"{evaluation.chosen}, uncalibrated": chosen.probabilities,
            },
            paths[6],
        )
    except BaseException:
        for path in paths:  # all files or none
            path.unlink(missing_ok=True)
        raise


def evaluate_classifiers(
    table: TrainingTable,
    out: os.PathLike | str,
    algorithms: Optional[list] = None,
    chosen=DEFAULT_ALGORITHM,
    folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    progress: ProgressCallback = None,
) -> ClassifierEvaluation:
    """Cross-validate ``algorithms`` (all seven by default) on ``table`` and write the evaluation into ``out``.

    Parameters
    ----------
    table : TrainingTable
    out : path
        Folder, created if missing; the seven files of :data:`OUTPUT_NAMES` are replaced.
    algorithms : list of str or ClassifierAlgorithm, optional
    chosen : str or ClassifierAlgorithm
        The algorithm explained (importance) and calibrated as ``train-classifier`` would ship it; must be among
        ``algorithms``.
    folds, seed, n_boot : int
        Patient-grouped folds, seed of folds / models / bootstrap, bootstrap resamples of the AUC interval.
    progress : callable, optional

    Raises
    ------
    InputError
        ``chosen`` not among ``algorithms``, ``out`` is a file, or anything the cross-validation refuses.
    """
    chosen = parse_algorithm(chosen)
    names = None if algorithms is None else [parse_algorithm(a) for a in algorithms]
    if names is not None and chosen not in names:
        raise InputError(f"The chosen algorithm {chosen.value} must be one of the evaluated algorithms.")
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; choose a folder for the evaluation.")
    report = cross_validate(
        table.X,
        table.y,
        table.patient_ids,
        table.feature_names,
        names,
        folds,
        seed,
        sub_progress(progress, 0.0, 0.7),
        importance_algorithm=chosen,
        n_boot=n_boot,
    )
    report_progress(progress, 0.7, f"Calibrated {chosen.display_name}, as shipped")
    X, y, groups, _ = check_training_data(table.X, table.y, table.patient_ids, table.feature_names)
    with single_threaded():
        calibrated = calibrated_out_of_fold(X, y, groups, chosen, folds, seed, sub_progress(progress, 0.7, 0.95))
    metrics = evaluate_probabilities(y, calibrated, n_boot=n_boot, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = tuple(out / name for name in OUTPUT_NAMES)
    evaluation = ClassifierEvaluation(report, chosen.display_name, metrics, calibrated, paths)
    settings = {"folds": folds, "seed": seed, "n_boot": n_boot, "chosen": chosen.value}
    _write_outputs(table, evaluation, settings)
    report_progress(progress, 1.0, "Evaluation written")
    return evaluation


#: Columns of the comparison table node (panel), with their descriptions.
COMPARISON_COLUMNS = {
    "algorithm": "Classifier (Tong et al. 2024, Figure 9); the last row is the chosen one calibrated, as shipped",
    "auc": "Out-of-fold ROC AUC (patient-grouped folds)",
    "auc_low": "Lower end of the 95% bootstrap interval of the AUC",
    "auc_high": "Upper end of the 95% bootstrap interval of the AUC",
    "accuracy": "Accuracy at probability 0.5",
    "sensitivity": "Sensitivity (malignant cases called malignant) at probability 0.5",
    "specificity": "Specificity (benign cases called benign) at probability 0.5",
    "brier": "Brier score: mean squared error of the probability (0 is perfect)",
}


def comparison_columns(evaluation: ClassifierEvaluation) -> dict[str, list]:
    """The comparison as columns (:data:`COMPARISON_COLUMNS`), for a table node."""
    rows = evaluation.table_rows()
    return {name: [row[name] for row in rows] for name in COMPARISON_COLUMNS}


#: Files a held-out scoring of a trained classifier writes, in this order.
HELD_OUT_NAMES = ("held_out.json", "held_out.csv", "held_out_roc.png", "held_out_reliability.png")


@dataclass(frozen=True, eq=False)
class HeldOutScore:
    """A trained classifier's metrics and probabilities on cases it never saw, and the files written."""

    classifier: str
    metrics: ClassificationMetrics
    probabilities: object
    paths: tuple[Path, ...]


def score_trained_classifier(
    table: TrainingTable, classifier, out: os.PathLike | str, n_boot: int = 1000, seed: int = 0
) -> HeldOutScore:
    """Score a trained classifier (name, folder or TrainedClassifier) on ``table`` without refitting: metrics with the
    AUC's bootstrap interval, one probability per case, ROC and reliability plots; all files or none.

    The cases should be held out from the classifier's training (e.g. another synthetic series, or another site's
    analysed images); this is the external check the cross-validation of the card cannot give.
    """
    from ...core.classification import TrainedClassifier, load_classifier
    from ...core.evaluation.classifier_plots import plot_reliability, plot_roc_curves

    trained = classifier if isinstance(classifier, TrainedClassifier) else load_classifier(classifier)
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; choose a folder for the evaluation.")
    probabilities = trained.predict_probability(table.X, table.feature_names)
    metrics = evaluate_probabilities(table.y, probabilities, n_boot=n_boot, seed=seed)
    name = trained.card.name
    out.mkdir(parents=True, exist_ok=True)
    paths = tuple(out / file_name for file_name in HELD_OUT_NAMES)
    rows = [
        {"case_id": case, "patient_id": patient, "label": int(label), "probability": repr(float(p))}
        for case, patient, label, p in zip(table.case_ids, table.patient_ids, table.y, probabilities, strict=True)
    ]
    try:
        write_text_atomically(
            paths[0], json.dumps({"classifier": name, "data": table.summary(), **metrics.to_dict()}, indent=2) + "\n"
        )
        write_text_atomically(paths[1], _csv_text(rows))
        plot_roc_curves(table.y, {name: probabilities}, paths[2], title=f"ROC of {name} on held-out cases")
        plot_reliability(table.y, {name: probabilities}, paths[3], title=f"Reliability of {name}, held-out cases")
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    return HeldOutScore(name, metrics, probabilities, paths)
