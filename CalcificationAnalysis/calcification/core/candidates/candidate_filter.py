"""The learned false-positive filter on Hessian-DoG candidates (Marasinou et al. 2023's second stage), in two looks:
gradient-boosted trees on each candidate's own features (:data:`~.candidate_features.FEATURE_NAMES`), then trees on
those features plus what the first look thought of the candidate's neighbours (:mod:`.context_features`).

Stored as a folder with ``filter.skops`` and ``context_filter.skops`` (skops, no pickle; loaded only after their
checksums and every type they name pass the classifier store's allow-list) and ``filter_card.json`` (threshold,
features, training data and measured figures)."""

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
from .context_features import context_features

_LOG = logging.getLogger(__name__)
FILTER_FILE_NAME = "filter.skops"
CONTEXT_FILE_NAME = "context_filter.skops"
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
    context_sha256: str = ""
    metrics: dict = field(default_factory=dict)
    description: str = ""
    kind: str = "candidate_filter"


@dataclass(frozen=True)
class CandidateFilter:
    """A loaded filter: ``estimator`` has ``predict_proba`` over :data:`FEATURE_NAMES` columns, ``context`` (or
    None) over those plus :data:`CONTEXT_FEATURE_NAMES`."""

    estimator: object
    card: CandidateFilterCard
    folder: Path | None = None
    context: object = None

    def probability(self, features: np.ndarray, points_mm: np.ndarray | None = None) -> np.ndarray:
        """Calcification probability of each candidate (float32, (n,)) from its ``features`` rows and, for the
        second look, the candidates' positions ``points_mm`` ((n, 2), one image)."""
        if len(features) == 0:
            return np.zeros(0, np.float32)
        features = np.asarray(features, np.float32)
        first = self.estimator.predict_proba(features)[:, 1]
        if self.context is None or points_mm is None:
            return first.astype(np.float32)
        both = np.hstack([features, context_features(points_mm, first)])
        return self.context.predict_proba(both)[:, 1].astype(np.float32)


def new_estimator(seed: int = 0):
    """The untrained estimator: histogram gradient boosting, shallow trees and early stopping on 10% of the rows,
    so a table of a few hundred thousand candidates trains in about a minute on two cores."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=400,
        learning_rate=0.08,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=30,
        random_state=seed,
    )


def save_filter(estimator, card: CandidateFilterCard, folder: Union[str, Path], context=None) -> Path:
    """Write ``filter.skops`` (and ``context_filter.skops`` for a second look) and the card (with the files'
    checksums) into ``folder``; returns the folder."""
    import skops.io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILTER_FILE_NAME
    skops.io.dump(estimator, path)
    extra = {}
    if context is not None:
        skops.io.dump(context, folder / CONTEXT_FILE_NAME)
        extra["context_sha256"] = sha256_of(folder / CONTEXT_FILE_NAME)
    document = asdict(card) | {"sha256": sha256_of(path), "feature_names": list(card.feature_names)} | extra
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
    if tuple(card.feature_names) != FEATURE_NAMES:
        raise InputError(f"The candidate filter in {folder} was trained on other features; retrain it.")

    def verified(path: Path, checksum: str):
        if not path.is_file() or sha256_of(path) != checksum:
            raise InputError(
                f"The candidate filter in {folder} is missing or damaged ({path.name} differs from its "
                "card's checksum)."
            )
        untrusted = skops.io.get_untrusted_types(file=path)
        refused = [name for name in untrusted if not is_allowed_type(name)]
        if refused:
            raise InputError(
                f"The candidate filter in {folder} names types that are not allowed: {', '.join(refused)}."
            )
        return skops.io.load(path, trusted=untrusted)

    estimator = verified(folder / FILTER_FILE_NAME, card.sha256)
    context = verified(folder / CONTEXT_FILE_NAME, card.context_sha256) if card.context_sha256 else None
    return CandidateFilter(estimator, card, folder, context)


def read_filter_card(source: Union[str, Path, None] = None) -> CandidateFilterCard:
    """The card of filter ``source`` (name or folder; the shipped default when None), without loading the filter;
    InputError when there is no readable card."""
    return _read_card(resolve_filter_folder(source))


def list_filters() -> list[tuple[Path, CandidateFilterCard]]:
    """(folder, card) of every filter shipped in ``calcification/models``, the default first (what
    ``calcification models`` lists; other filters are used by folder, ``--model FOLDER``)."""
    shipped = Path(__file__).resolve().parents[2] / "models"
    folders = sorted(path.parent for path in shipped.glob(f"*/{FILTER_CARD_NAME}"))
    folders.sort(key=lambda folder: folder.name != DEFAULT_FILTER_NAME)
    return [(folder, _read_card(folder)) for folder in folders]
