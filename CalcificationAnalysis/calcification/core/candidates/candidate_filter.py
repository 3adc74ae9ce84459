"""The learned false-positive filter on Hessian-DoG candidates (Marasinou et al. 2023's second stage): a gradient-
boosted tree ensemble on :data:`~.candidate_features.FEATURE_NAMES`, stored as a folder with ``filter.skops`` (no
pickle; loaded only after its checksum and every type it names pass the classifier store's allow-list) and
``filter_card.json`` (threshold, features, training data and measured figures)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Union

import numpy as np

from ..checksums import sha256_of
from ..errors import InputError
from .candidate_features import FEATURE_NAMES

_LOG = logging.getLogger(__name__)
FILTER_FILE_NAME = "filter.skops"
FILTER_CARD_NAME = "filter_card.json"
#: The filter shipped inside the package (``calcification/models/<name>``) and used when none is named.
DEFAULT_FILTER_NAME = "hdog_filter_real"


@dataclass(frozen=True)
class CandidateFilterCard:
    """What a stored filter is: its threshold on the calcification probability, its feature columns, what it was
    trained on, its measured figures and the SHA-256 of its ``filter.skops``."""

    name: str
    threshold: float
    feature_names: tuple[str, ...]
    trained_on: str
    synthetic_training: bool
    sha256: str = ""
    metrics: dict = field(default_factory=dict)
    description: str = ""
    kind: str = "candidate_filter"


@dataclass(frozen=True)
class CandidateFilter:
    """A loaded filter: ``estimator`` has ``predict_proba`` over :data:`FEATURE_NAMES` columns."""

    estimator: object
    card: CandidateFilterCard
    folder: Path | None = None

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Calcification probability of each row of ``features`` (float32, (n,))."""
        if len(features) == 0:
            return np.zeros(0, np.float32)
        return self.estimator.predict_proba(np.asarray(features, np.float32))[:, 1].astype(np.float32)


def new_estimator(seed: int = 0):
    """The untrained estimator: histogram gradient boosting, shallow trees and early stopping on 10% of the rows,
    so a table of a few hundred thousand candidates trains in about a minute on two cores."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=400, learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0,
        early_stopping=True, validation_fraction=0.1, n_iter_no_change=30, random_state=seed,
    )  # fmt: skip


def save_filter(estimator, card: CandidateFilterCard, folder: Union[str, Path]) -> Path:
    """Write ``filter.skops`` and the card (with the file's checksum) into ``folder``; returns the folder."""
    import skops.io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILTER_FILE_NAME
    skops.io.dump(estimator, path)
    document = asdict(card) | {"sha256": sha256_of(path), "feature_names": list(card.feature_names)}
    (folder / FILTER_CARD_NAME).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return folder


def _read_card(folder: Path) -> CandidateFilterCard:
    try:
        document = json.loads((folder / FILTER_CARD_NAME).read_text(encoding="utf-8"))
        document["feature_names"] = tuple(document["feature_names"])
        return CandidateFilterCard(**document)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise InputError(f"{folder} holds no readable candidate filter card ({FILTER_CARD_NAME}): {exc}") from exc


def resolve_filter_folder(source: Union[str, Path, None]) -> Path:
    """The folder of filter ``source``: a folder path, or the name of one shipped in ``calcification/models``."""
    if source is None:
        source = DEFAULT_FILTER_NAME
    path = Path(source)
    if path.is_dir():
        return path
    shipped = Path(__file__).resolve().parents[2] / "models" / str(source)
    if (shipped / FILTER_CARD_NAME).is_file():
        return shipped
    raise InputError(f"No candidate filter named {str(source)!r}: give a folder holding {FILTER_CARD_NAME}.")


def load_filter(source: Union[str, Path, None] = None) -> CandidateFilter:
    """Load and verify a filter (checksum, allowed types, feature columns); InputError on any mismatch."""
    import skops.io

    from ..classification.classifier_store import is_allowed_type

    folder = resolve_filter_folder(source)
    card = _read_card(folder)
    path = folder / FILTER_FILE_NAME
    if not path.is_file() or sha256_of(path) != card.sha256:
        raise InputError(f"The candidate filter in {folder} is missing or damaged (checksum differs from its card).")
    if tuple(card.feature_names) != FEATURE_NAMES:
        raise InputError(f"The candidate filter in {folder} was trained on other features; retrain it.")
    untrusted = skops.io.get_untrusted_types(file=path)
    refused = [name for name in untrusted if not is_allowed_type(name)]
    if refused:
        raise InputError(f"The candidate filter in {folder} names types that are not allowed: {', '.join(refused)}.")
    estimator = skops.io.load(path, trusted=untrusted)
    return CandidateFilter(estimator, card, folder)
