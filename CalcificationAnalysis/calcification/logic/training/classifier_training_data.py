"""The benign/malignant classifier's training table: ``features.csv`` joined with a labels CSV.

FEATURES is what ``calcification analyze`` writes (``features.csv``, or one ``<name>.features.csv`` per image):
``case_id, patient_id, laterality, view`` and the 35 image features of Tong et al. (Front. Oncol. 2024) named as in
:data:`~calcification.core.features.IMAGE_FEATURE_NAMES`; an empty cell is a missing value (imputed from the training
folds). LABELS has ``case_id`` (or ``case``), ``label`` (benign / malignant, or 0 / 1) and optionally ``patient_id``;
``calcification synth``'s ``cases.csv`` has this form. Rows are joined on ``case_id``; the patient id (which keeps a
patient's images in one cross-validation fold) comes from LABELS when given there, else from FEATURES.

Every problem is found before anything is trained, and the message says which rows to fix.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.errors import InputError
from ...core.features import IMAGE_FEATURE_NAMES
from ...core.reporting.csv_cells import SafeDictWriter
from ..mrml.scene_storage import atomic_destination
from ..workflows.analysis_workflow import FEATURE_ID_COLUMNS
from ..workflows.annotated_case_reader import read_labels_csv

logger = logging.getLogger(__name__)

#: Accepted spellings of the two classes in a labels CSV (case-insensitive).
LABEL_VALUES = {"benign": 0, "0": 0, "malignant": 1, "1": 1}
#: Columns of the labels CSV this module writes (the form it reads).
LABEL_COLUMNS = ("case_id", "patient_id", "label")
#: At most this many offending cases are named in one error message.
_NAMED = 8


@dataclass(frozen=True, eq=False)
class TrainingTable:
    """Cases ready for :func:`~calcification.core.classification.train_classifier` / ``cross_validate``.

    Attributes
    ----------
    case_ids, patient_ids : tuple of str, one per case
    X : (n_cases, 35) float64
        Features in :data:`IMAGE_FEATURE_NAMES` order, NaN where a cell was empty.
    y : (n_cases,) int64
        0 benign, 1 malignant.
    feature_names : tuple of str
    """

    case_ids: tuple[str, ...]
    patient_ids: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]

    def summary(self) -> str:
        n_malignant = int(self.y.sum())
        return (
            f"{self.y.size} cases of {len(set(self.patient_ids))} patients: "
            f"{n_malignant} malignant, {self.y.size - n_malignant} benign"
        )


def _named(cases: list[str]) -> str:
    shown = ", ".join(cases[:_NAMED])
    return shown + (f" and {len(cases) - _NAMED} more" if len(cases) > _NAMED else "")


def _read_rows(path: Path, what: str) -> tuple[list[str], list[dict]]:
    if not path.is_file():
        raise InputError(f"The {what} {path} does not exist.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = [(c or "").strip() for c in (reader.fieldnames or [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"Cannot read the {what} {path}: {exc}.") from exc
    return columns, rows


def _number(text: str, case: str, column: str) -> float:
    text = (text or "").strip()
    if not text or text.lower() == "nan":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"Case {case}: the feature {column!r} is {text!r}, not a number.") from None
    if math.isinf(value):
        raise InputError(f"Case {case}: the feature {column!r} is infinite.")
    return value


def read_feature_csv(path: os.PathLike | str) -> tuple[list[str], list[str], np.ndarray]:
    """(case ids, patient ids, features (n, 35) float64 in :data:`IMAGE_FEATURE_NAMES` order) from a FEATURES CSV.

    Raises
    ------
    InputError
        Missing file, no ``case_id`` column, missing feature columns, duplicate case ids, non-numeric cells, no rows.
    """
    path = Path(path)
    columns, rows = _read_rows(path, "features CSV")
    if "case_id" not in columns:
        raise InputError(
            f"The features CSV {path} has no 'case_id' column; use the features.csv that "
            "'calcification analyze' writes."
        )
    missing = [name for name in IMAGE_FEATURE_NAMES if name not in columns]
    if missing:
        raise InputError(
            f"The features CSV {path} lacks the feature column(s) {_named(missing)}; use the "
            "features.csv that 'calcification analyze' writes."
        )
    ignored = [c for c in columns if c not in IMAGE_FEATURE_NAMES and c not in FEATURE_ID_COLUMNS]
    if ignored:
        logger.warning("Ignoring the column(s) %s of %s: they are not image features.", _named(ignored), path)
    if not rows:
        raise InputError(f"The features CSV {path} has no rows.")
    case_ids = [(row.get("case_id") or "").strip() for row in rows]
    if "" in case_ids:
        raise InputError(f"Row {case_ids.index('') + 2} of {path} has no case_id.")
    duplicates = sorted({c for c in case_ids if case_ids.count(c) > 1})
    if duplicates:
        raise InputError(f"The features CSV {path} has several rows for {_named(duplicates)}; keep one each.")
    X = np.array(
        [
            [_number(row.get(name), case, name) for name in IMAGE_FEATURE_NAMES]
            for row, case in zip(rows, case_ids, strict=True)
        ],
        dtype=np.float64,
    )
    patients = [(row.get("patient_id") or "").strip() for row in rows]
    return case_ids, patients, X


def read_feature_csvs(paths) -> tuple[list[str], list[str], np.ndarray]:
    """:func:`read_feature_csv` over several files (e.g. one ``<name>.features.csv`` per image), rows concatenated."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("Give at least one features CSV.")
    parts = [read_feature_csv(p) for p in paths]
    case_ids = [c for part in parts for c in part[0]]
    duplicates = sorted({c for c in case_ids if case_ids.count(c) > 1})
    if duplicates:
        raise InputError(f"The features CSVs have several rows for {_named(duplicates)}; keep one each.")
    return case_ids, [p for part in parts for p in part[1]], np.vstack([part[2] for part in parts])


def read_label_table(path: os.PathLike | str) -> dict[str, tuple[int, str]]:
    """``{case_id: (0 benign / 1 malignant, patient id or "")}`` from a labels CSV.

    Raises
    ------
    InputError
        Missing or unreadable file, no case column, duplicate cases, labels other than benign/malignant/0/1.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"The labels CSV {path} does not exist.")
    table = read_labels_csv(path)
    duplicates = sorted(case for case, entry in table.items() if entry["rows"] > 1)
    if duplicates:
        raise InputError(f"The labels CSV {path} has several rows for {_named(duplicates)}; keep one each.")
    bad = sorted(case for case, entry in table.items() if entry["label"].lower() not in LABEL_VALUES)
    if bad:
        shown = ", ".join(f"{case} ({table[case]['label'] or 'empty'})" for case in bad[:_NAMED])
        raise InputError(
            f"The labels CSV {path} has labels other than benign/malignant (or 0/1) for {shown}"
            f"{' and more' if len(bad) > _NAMED else ''}; the classifier learns benign against "
            "malignant, so drop normal cases and fix the others."
        )
    return {case: (LABEL_VALUES[entry["label"].lower()], entry["patient_id"]) for case, entry in table.items()}


def training_table(features, labels: os.PathLike | str) -> TrainingTable:
    """Join FEATURES (one path or several) with LABELS on ``case_id``; see the module docstring.

    Raises
    ------
    InputError
        Anything :func:`read_feature_csv` / :func:`read_label_table` refuse, feature rows without a label, cases
        without a patient id in either file, or a single class.
    """
    paths = [features] if isinstance(features, (str, os.PathLike)) else list(features)
    case_ids, feature_patients, X = read_feature_csvs(paths)
    return _joined(case_ids, feature_patients, X, read_label_table(labels), str(labels))


def table_from_rows(feature_rows: list[dict], label_rows: list[dict]) -> TrainingTable:
    """The :class:`TrainingTable` of in-memory FEATURES and LABELS rows (e.g. measured synthetic cases)."""
    case_ids = [str(row["case_id"]) for row in feature_rows]
    X = np.array([[float(row[name]) for name in IMAGE_FEATURE_NAMES] for row in feature_rows], dtype=np.float64)
    labels = {str(r["case_id"]): (LABEL_VALUES[str(r["label"]).lower()], str(r["patient_id"])) for r in label_rows}
    return _joined(case_ids, [str(row.get("patient_id", "")) for row in feature_rows], X, labels, "the labels")


def _joined(case_ids, feature_patients, X, label_table: dict, labels_name: str) -> TrainingTable:
    unlabelled = [case for case in case_ids if case not in label_table]
    if unlabelled:
        raise InputError(
            f"{len(unlabelled)} case(s) of the features have no row in {labels_name}: "
            f"{_named(unlabelled)}. Add their labels or remove their rows."
        )
    patients = [label_table[case][1] or patient for case, patient in zip(case_ids, feature_patients, strict=True)]
    anonymous = [case for case, patient in zip(case_ids, patients, strict=True) if not patient]
    if anonymous:
        raise InputError(
            f"{len(anonymous)} case(s) have no patient id in either file: {_named(anonymous)}. "
            "Add a patient_id column to the labels: a patient's images must stay in one "
            "cross-validation fold, or the measured AUC is too optimistic."
        )
    y = np.array([label_table[case][0] for case in case_ids], dtype=np.int64)
    if y.size == 0 or y.min() == y.max():
        kind = "malignant" if y.size and y[0] else "benign"
        raise InputError(f"All {y.size} cases are {kind}; the classifier needs benign and malignant cases.")
    return TrainingTable(tuple(case_ids), tuple(patients), X, y, tuple(IMAGE_FEATURE_NAMES))


def write_label_rows(rows: list[dict], path: os.PathLike | str) -> Path:
    """Write ``case_id, patient_id, label`` rows (the LABELS form) as a CSV, atomically."""
    with atomic_destination(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = SafeDictWriter(handle, fieldnames=LABEL_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)
