"""Train and save a benign/malignant classifier in one call: from FEATURES + LABELS files (a site's analysed cases)
or from synthetic cases measured on the segmenter's output. Used by ``calcification train-classifier``, the
CalcificationTraining panel and the Python console.

The destination is checked before any work (a folder that already holds a classifier is refused unless
``overwrite``), so minutes of measuring never end in a refusal; nothing is written when training fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.artifact_names import check_artifact_name
from ...core.classification import DEFAULT_ALGORITHM, TrainedClassifier, save_classifier, train_classifier
from ...core.classification.classifier_store import CARD_FILE_NAME, user_classifiers_dir
from ...core.errors import InputError
from ...core.progress import ProgressCallback, sub_progress
from ...core.synthetic import SynthesisConfig
from ..workflows.analysis_workflow import write_feature_rows
from .classifier_training_data import TrainingTable, table_from_rows, training_table, write_label_rows
from .synthetic_features import measure_synthetic_cases

#: Files kept beside a classifier trained on synthetic cases: its training table, in the FEATURES / LABELS forms,
#: so that ``evaluate-classifier`` can reproduce the comparison.
TRAINING_FEATURES_FILE = "training_features.csv"
TRAINING_LABELS_FILE = "training_labels.csv"


@dataclass(frozen=True, eq=False)
class SavedClassifier:
    """A trained classifier, the folder it was saved in and the table it learned from."""

    trained: TrainedClassifier
    folder: Path
    table: TrainingTable

    def summary(self) -> str:
        m = self.trained.card.metrics
        return (
            f"{self.trained.card.name}: {self.table.summary()}; cross-validated AUC {m.auc:.3f} "
            f"[{m.auc_low:.3f}, {m.auc_high:.3f}], accuracy {m.accuracy:.3f}, sensitivity {m.sensitivity:.3f}, "
            f"specificity {m.specificity:.3f}, Brier {m.brier:.3f}"
        )


def classifier_destination(name: str, out: Optional[os.PathLike | str] = None, overwrite: bool = False) -> Path:
    """The folder a classifier called ``name`` is saved in (``out``, else the user's classifier folder / name).

    Raises
    ------
    InputError
        Empty name, ``out`` is a file, or it already holds a classifier and ``overwrite`` is False.
    """
    name = check_artifact_name(name, "classifier")
    folder = Path(out).expanduser() if out else user_classifiers_dir() / name
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; choose a folder for the classifier.")
    if (folder / CARD_FILE_NAME).exists() and not overwrite:
        raise InputError(f"{folder} already holds a classifier; choose another folder or name, or allow overwriting.")
    return folder


def _train_and_save(
    table: TrainingTable,
    name: str,
    folder: Path,
    algorithm,
    folds: int,
    seed: int,
    n_boot: int,
    trained_on: str,
    synthetic: bool,
    overwrite: bool,
    progress,
) -> TrainedClassifier:
    trained = train_classifier(
        table.X,
        table.y,
        table.patient_ids,
        table.feature_names,
        algorithm,
        seed=seed,
        folds=folds,
        name=name.strip(),
        trained_on=trained_on,
        synthetic_training=synthetic,
        n_boot=n_boot,
        progress=progress,
    )
    save_classifier(trained, folder, overwrite=overwrite, check_features=table.X)
    return trained


def train_classifier_from_files(
    features,
    labels: os.PathLike | str,
    name: str,
    out: Optional[os.PathLike | str] = None,
    algorithm=DEFAULT_ALGORITHM,
    folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    overwrite: bool = False,
    progress: ProgressCallback = None,
) -> SavedClassifier:
    """Train on FEATURES (one CSV or several) joined with LABELS and save the classifier.

    See :mod:`.classifier_training_data` for the file forms and
    :func:`~calcification.core.classification.train_classifier` for the training (patient-grouped cross-validation
    for the card's metrics, then one calibrated pipeline on all cases).
    """
    folder = classifier_destination(name, out, overwrite)
    table = training_table(features, labels)
    paths = [features] if isinstance(features, (str, os.PathLike)) else list(features)
    sources = ", ".join(Path(p).name for p in paths)
    trained_on = f"{table.summary()}; features {sources}, labels {Path(labels).name}"
    trained = _train_and_save(
        table, name, folder, algorithm, folds, seed, n_boot, trained_on, False, overwrite, progress
    )
    return SavedClassifier(trained, folder, table)


def train_classifier_on_synthetic(
    n_cases: int,
    name: str,
    out: Optional[os.PathLike | str] = None,
    synthetic_seed: int = 5000,
    config: Optional[SynthesisConfig] = None,
    segmenter=None,
    algorithm=DEFAULT_ALGORITHM,
    folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    overwrite: bool = False,
    progress: ProgressCallback = None,
) -> SavedClassifier:
    """Measure ``n_cases`` synthetic cases on ``segmenter``'s segmentation (:mod:`.synthetic_features`; the default
    method when None), train, save the
    classifier with its training table (:data:`TRAINING_FEATURES_FILE`, :data:`TRAINING_LABELS_FILE`)."""
    folder = classifier_destination(name, out, overwrite)
    config = config or SynthesisConfig(shape=(1024, 768))
    rows = measure_synthetic_cases(n_cases, synthetic_seed, config, segmenter, sub_progress(progress, 0.0, 0.85))
    table = table_from_rows(rows.features, rows.labels)
    measured_on = f"the {rows.model_name} network" if rows.model_name else "the Hessian-DoG detector"
    rows_x_cols = f"{config.shape[0]}x{config.shape[1]}"
    trained_on = (
        f"Features measured on {measured_on}'s segmentation (not the ground-truth masks) of {table.y.size} "
        f"synthetic cases (series {synthetic_seed}, {rows_x_cols} px at {config.spacing_mm} mm, class "
        f"overlap {config.class_overlap}); no real patient."
    )
    trained = _train_and_save(
        table,
        name,
        folder,
        algorithm,
        folds,
        seed,
        n_boot,
        trained_on,
        True,
        overwrite,
        sub_progress(progress, 0.85, 1.0),
    )
    write_feature_rows(rows.features, folder / TRAINING_FEATURES_FILE)
    write_label_rows(rows.labels, folder / TRAINING_LABELS_FILE)
    return SavedClassifier(trained, folder, table)
