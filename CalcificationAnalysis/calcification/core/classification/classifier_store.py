"""Save, find, verify and load benign/malignant classifiers (a folder: ``classifier.skops`` + ``classifier_card.json``,
and ``classifier.onnx`` when the classifier could be exported to ONNX, see :mod:`.onnx_classifier`).

Classifiers are stored with skops (``skops.io.dump``), never plain pickle: loading a pickle runs whatever code the
file names. On load, the SHA-256 of the ``.skops`` file must match the card, then every type the file names that skops
does not trust by default (``skops.io.get_untrusted_types``) must be a scikit-learn or numpy type from the allow-list
below; only then is the file loaded, with exactly those types trusted. When the card lists an ONNX graph (``onnx_file``,
``onnx_sha256``), loading takes the graph instead, after the same checksum rule, and imports neither scikit-learn nor
skops; the skops file stays the source of truth the graph was derived from.

Where classifiers are looked for, in order: the package's ``calcification/classifiers/`` (the shipped default), then
the user's folder (``$CALCIFICATION_CLASSIFIERS_DIR``, else ``~/.calcification/classifiers``), as
:mod:`calcification.core.models.model_store` does for segmentation models.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Optional, Union

from ..artifact_store import ArtifactEntry, ArtifactStore
from ..checksums import sha256_of
from ..errors import InputError
from .calibrated_classifier import ClassifierCard, TrainedClassifier
from .onnx_classifier import ONNX_FILE_NAME, OnnxClassifier, export_classifier_onnx

_LOG = logging.getLogger(__name__)
USER_CLASSIFIERS_ENV = "CALCIFICATION_CLASSIFIERS_DIR"
MODEL_FILE_NAME = "classifier.skops"
CARD_FILE_NAME = "classifier_card.json"
CARD_FORMAT_VERSION = 1
#: Name of the classifier meant to ship in :func:`shipped_classifiers_dir` (AdaBoost trained on synthetic cases, as
#: the shipped segmentation model is ``pro_unext_synthetic``); offered first when present.
DEFAULT_CLASSIFIER_NAME = "adaboost_synthetic"

#: Modules whose types may be trusted when skops reports them (the estimators, trees, calibrators, dtypes).
ALLOWED_TYPE_PREFIXES = ("sklearn.", "numpy.")
#: Inside those, modules that read or write files or run code; never trusted.
DENIED_TYPE_PREFIXES = (
    "numpy.lib.npyio",
    "numpy.load",
    "numpy.save",
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.fromfile",
    "numpy.memmap",
    "numpy.ctypeslib",
    "numpy.lib.format",
    "sklearn.utils._testing",
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.utils.fixes",
)


#: A classifier found by :func:`list_classifiers` (name, folder, card, origin ``"shipped"`` or ``"user"``).
ClassifierEntry = ArtifactEntry


def shipped_classifiers_dir() -> Path:
    """The package's own classifier folder, ``calcification/classifiers``."""
    return CLASSIFIER_STORE.shipped_dir


def user_classifiers_dir() -> Path:
    """``$CALCIFICATION_CLASSIFIERS_DIR`` if set, else ``~/.calcification/classifiers`` (may not exist)."""
    return CLASSIFIER_STORE.user_dir()


def is_allowed_type(name: str) -> bool:
    """True for a fully qualified type name from scikit-learn or numpy that is not in a denied module."""
    return name.startswith(ALLOWED_TYPE_PREFIXES) and not name.startswith(DENIED_TYPE_PREFIXES)


def save_classifier(
    trained: TrainedClassifier, folder: Union[str, Path], overwrite: bool = False, check_features=None
) -> Path:
    """Write ``classifier.skops``, ``classifier.onnx`` (when ``check_features`` are given and the export matches) and
    then ``classifier_card.json`` (with the files' SHA-256) into ``folder``.

    Parameters
    ----------
    trained : TrainedClassifier
    folder : path
        Created if needed; one that already holds a classifier card is refused unless ``overwrite``.
    check_features : (n_cases, n_features) array, optional
        Cases (e.g. the training features) on which the ONNX export is compared with scikit-learn
        (:func:`~.onnx_classifier.export_classifier_onnx`); without them, or when the export fails or differs, no
        graph is written (with a logged warning) and the classifier loads through skops.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    InputError
        Existing classifier without ``overwrite``, or ``folder`` is a file; nothing is written then.
    """
    import skops.io

    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; choose a folder for the classifier.")
    if (folder / CARD_FILE_NAME).exists() and not overwrite:
        raise InputError(f"{folder} already holds a classifier; choose another folder or allow overwriting.")
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / MODEL_FILE_NAME
    partial = folder / (MODEL_FILE_NAME + ".partial")
    skops.io.dump(trained.model, partial, compression=zipfile.ZIP_DEFLATED)  # the JSON schema shrinks ~10x
    os.replace(partial, model_path)  # a crash never leaves a half-written file under the final name
    document = {
        "format_version": CARD_FORMAT_VERSION,
        "model_file": MODEL_FILE_NAME,
        "model_sha256": sha256_of(model_path),
        **trained.card.to_dict(),
    }
    if check_features is not None:
        document.update(_write_onnx(trained.model, folder, check_features))
    if "onnx_file" not in document:
        (folder / ONNX_FILE_NAME).unlink(missing_ok=True)  # an overwritten classifier's old graph must not linger
    _write_document(folder, document)
    return folder


def _write_onnx(model, folder: Path, check_features) -> dict:
    """Card entries of the ONNX graph written beside the skops file; {} (logged) when it cannot be exported."""
    try:
        graph, difference = export_classifier_onnx(model, check_features)
    except InputError as exc:
        _LOG.warning("%s", exc)
        return {}
    partial = folder / (ONNX_FILE_NAME + ".partial")
    partial.write_bytes(graph)
    os.replace(partial, folder / ONNX_FILE_NAME)
    _LOG.info("ONNX export of the classifier: largest probability difference from scikit-learn %.3g", difference)
    return {
        "onnx_file": ONNX_FILE_NAME,
        "onnx_sha256": sha256_of(folder / ONNX_FILE_NAME),
        "onnx_max_abs_difference": difference,
    }


def _write_document(folder: Path, document: dict) -> None:
    partial_card = folder / (CARD_FILE_NAME + ".partial")
    partial_card.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(partial_card, folder / CARD_FILE_NAME)


def export_classifier_folder(folder: Union[str, Path], check_features) -> float:
    """(Re)write the ONNX graph of a saved classifier from its skops file and list it on its card; returns the
    largest probability difference from scikit-learn. InputError when the export fails or differs (nothing is
    changed then). Used to rerun the export of the shipped classifiers (``make onnx``)."""
    folder = Path(folder)
    trained = load_classifier(folder, engine="sklearn")
    _, difference = export_classifier_onnx(trained.model, check_features)
    document = _read_document(folder)
    document.update(_write_onnx(trained.model, folder, check_features))
    _write_document(folder, document)
    return difference


def _read_document(folder: Path) -> dict:
    if not folder.is_dir():
        raise InputError(f"The classifier folder {folder} does not exist.")
    path = folder / CARD_FILE_NAME
    if not path.is_file():
        raise InputError(f"{folder} is not a classifier: it has no {CARD_FILE_NAME}.")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"Cannot read the classifier card {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"The classifier card {path} is not a JSON object.")
    if document.get("format_version") != CARD_FORMAT_VERSION:
        raise InputError(f"{path} has card format {document.get('format_version')!r}; this version reads 1.")
    return document


def read_classifier_card(folder: Union[str, Path]) -> ClassifierCard:
    """The card of a classifier folder (the model file is not read); InputError when missing or invalid."""
    folder = Path(folder).expanduser()
    try:
        return ClassifierCard.from_dict(_read_document(folder))
    except InputError as exc:
        raise InputError(f"{folder}: {exc}") from exc


def resolve_classifier_folder(source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None) -> Path:
    """Folder of a classifier given as a folder, its card's path, or a name found by :func:`list_classifiers`
    (:meth:`ArtifactStore.resolve_folder`); InputError listing the available classifiers otherwise."""
    return CLASSIFIER_STORE.resolve_folder(source, search_dirs)


def load_classifier(
    source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None, engine: str = "auto"
) -> TrainedClassifier:
    """Load and verify a classifier: card, SHA-256 of its ONNX graph or of ``classifier.skops``, allow-listed types,
    feature count.

    Parameters
    ----------
    source : str or path
        Classifier folder, path to its card, or a classifier name (see :func:`list_classifiers`).
    search_dirs : iterable of paths, optional
        Where names are looked up; shipped then user folder by default.
    engine : str
        ``"auto"``: the ONNX graph when the card lists one and ONNX Runtime is installed (no scikit-learn import),
        else skops; ``"sklearn"``: the scikit-learn model from the skops file (for refitting, importances, or
        exporting it again).

    Raises
    ------
    InputError
        Missing folder, card or model file; invalid card; checksum mismatch; a type outside the allow-list;
        a file skops cannot read; a model that does not take the card's features.
    """
    folder = resolve_classifier_folder(source, search_dirs)
    document = _read_document(folder)
    card = read_classifier_card(folder)
    if engine == "auto" and document.get("onnx_file") and importlib.util.find_spec("onnxruntime") is not None:
        path = _verified(folder / str(document["onnx_file"]), document.get("onnx_sha256"), card)
        try:
            model = OnnxClassifier(path, (0, 1), len(card.feature_names))  # training labels are 0/1 (checked)
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime raises its own types on bad graphs
            raise InputError(f"{path} cannot be read as a classifier graph ({type(exc).__name__}: {exc}).") from exc
        return TrainedClassifier(model=model, card=card)
    model = _load_skops(_verified(folder / MODEL_FILE_NAME, document.get("model_sha256"), card), card)
    _warn_on_version_change(card)
    return TrainedClassifier(model=model, card=card)


def _verified(path: Path, sha256: Optional[str], card: ClassifierCard) -> Path:
    """``path`` when it exists and matches the card's checksum; InputError otherwise."""
    if not path.is_file():
        raise InputError(f"The classifier {card.name!r} is incomplete: {path} is missing. Reinstall it.")
    if sha256_of(path) != sha256:
        raise InputError(
            f"{path} does not match the checksum in its card: it is damaged or was replaced. Reinstall or retrain it."
        )
    return path


def _load_skops(path: Path, card: ClassifierCard):
    """The scikit-learn model of a verified skops file, trusting allow-listed types only."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
        refused = sorted(t for t in untrusted if not is_allowed_type(t))
        if refused:
            raise InputError(f"{path} contains types that are not trusted: {refused}. It will not be loaded.")
        model = skops.io.load(path, trusted=untrusted)
    except InputError:
        raise
    except Exception as exc:  # skops raises several types (ValueError, KeyError, zipfile errors) on bad files
        raise InputError(f"{path} cannot be read as a classifier ({type(exc).__name__}: {exc}).") from exc
    if not hasattr(model, "predict_proba") or getattr(model, "n_features_in_", None) != len(card.feature_names):
        raise InputError(f"{path} does not hold a classifier for the card's {len(card.feature_names)} features.")
    return model


def _warn_on_version_change(card: ClassifierCard) -> None:
    """Log (not refuse) a classifier saved by another scikit-learn: it usually loads and predicts the same, and the
    user can retrain if not."""
    import sklearn

    if card.sklearn_version != sklearn.__version__:
        _LOG.warning(
            "Classifier %r was saved with scikit-learn %s and is used with %s; retrain it if its results look wrong.",
            card.name,
            card.sklearn_version,
            sklearn.__version__,
        )


def list_classifiers(folder: Optional[Union[str, Path, Iterable[Path]]] = None) -> list[ClassifierEntry]:
    """Classifiers (sub-folders with a readable card) in ``folder`` (one folder or several), or by default in the
    shipped then the user folder. Model files are not verified here; a broken card is skipped with a warning."""
    dirs = [Path(folder)] if isinstance(folder, (str, Path)) else folder
    return CLASSIFIER_STORE.entries(dirs)


#: Where classifiers are found (the lookup rules shared with segmentation models).
CLASSIFIER_STORE = ArtifactStore(
    kind="classifier",
    shipped_dir=Path(__file__).resolve().parents[2] / "classifiers",
    user_env=USER_CLASSIFIERS_ENV,
    user_default=Path.home() / ".calcification" / "classifiers",
    card_file=CARD_FILE_NAME,
    read_card=read_classifier_card,
    list_command="calcification classifiers",
)
