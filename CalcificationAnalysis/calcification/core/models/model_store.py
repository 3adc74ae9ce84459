"""Save, find, verify and load segmentation models (a folder: ``model_card.json`` + ``fold_<k>.pt`` state_dicts).

Where models are looked for, in order: the models shipped inside the package (``calcification/models/``), then the
user's model folder (``$CALCIFICATION_MODELS_DIR``, else ``~/.calcification/models``). Weights are loaded with
``torch.load(..., weights_only=True)`` only after their SHA-256 matched the card, so a damaged or swapped file is
refused before any of its bytes are unpickled.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from ..checksums import sha256_of
from ..errors import InputError
from .model_card import CARD_FILE_NAME, FoldWeights, ModelCard

_LOG = logging.getLogger(__name__)
USER_MODELS_ENV = "CALCIFICATION_MODELS_DIR"


@dataclass(frozen=True)
class LoadedModel:
    """A verified model ready for inference: its card, folder and one network per fold (CPU, eval mode)."""

    card: ModelCard
    folder: Path
    networks: tuple


@dataclass(frozen=True)
class ModelEntry:
    """A model found by :func:`list_models`: name, folder, card, and ``origin`` (``"shipped"`` or ``"user"``)."""

    name: str
    folder: Path
    card: ModelCard
    origin: str


def shipped_models_dir() -> Path:
    """The package's own model folder, ``calcification/models``."""
    return Path(__file__).resolve().parents[2] / "models"


def user_models_dir() -> Path:
    """``$CALCIFICATION_MODELS_DIR`` if set, else ``~/.calcification/models`` (it may not exist)."""
    configured = os.environ.get(USER_MODELS_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".calcification" / "models"


def default_search_dirs() -> tuple[Path, Path]:
    """(shipped folder, user folder), in lookup order."""
    return shipped_models_dir(), user_models_dir()


def read_card(folder: Union[str, Path]) -> ModelCard:
    """The model card of a model folder; :class:`InputError` when the folder or card is missing or invalid."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"The model folder {folder} does not exist.")
    card_path = folder / CARD_FILE_NAME
    if not card_path.is_file():
        raise InputError(f"{folder} is not a model: it has no {CARD_FILE_NAME}.")
    try:
        text = card_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the model card {card_path}: {exc}") from exc
    try:
        return ModelCard.from_json(text)
    except InputError as exc:
        raise InputError(f"{card_path}: {exc}") from exc


def _as_state_dict(item: Any) -> dict:
    """A CPU state_dict from a network or a mapping of tensors."""
    state = item.state_dict() if hasattr(item, "state_dict") else item
    if not isinstance(state, Mapping):
        raise InputError("Each fold must be a network or a state_dict (a mapping of parameter names to tensors).")
    return {key: value.detach().cpu().contiguous() for key, value in state.items()}


def _check_fits(card: ModelCard, state: Mapping, label: str):
    """A network built from ``card`` with ``state`` loaded; InputError when the weights do not fit it."""
    from ..networks.factory import build_network

    network = build_network(card.architecture, card.architecture_kwargs)
    try:
        network.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"{label} does not fit a {card.architecture} network {card.architecture_kwargs}: {first_line}"
        ) from exc
    return network.eval()


def save_model(folder: Union[str, Path], card: ModelCard, folds: Sequence[Any], overwrite: bool = False) -> ModelCard:
    """Write a model folder: ``fold_<k>.pt`` per fold, then ``model_card.json`` with their SHA-256.

    Parameters
    ----------
    folder : path
        Created if needed. A folder that already holds a model card is refused unless ``overwrite``.
    card : ModelCard
        Its ``folds`` are replaced by the files written here.
    folds : sequence of torch.nn.Module or state_dict
        One per ensemble member; each must load strictly into ``card``'s architecture.

    Returns
    -------
    ModelCard
        The card as written (with file names and checksums).

    Raises
    ------
    InputError
        No folds, weights that do not fit the architecture, or an existing model without ``overwrite``; nothing is
        written in those cases.
    """
    import torch

    folder = Path(folder)
    if not folds:
        raise InputError("A model needs the weights of at least one fold.")
    if (folder / CARD_FILE_NAME).exists() and not overwrite:
        raise InputError(f"{folder} already holds a model; choose another folder or allow overwriting.")
    states = [_as_state_dict(item) for item in folds]
    for k, state in enumerate(states):
        _check_fits(card, state, f"The weights of fold {k}")
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, state in enumerate(states):
        path = folder / f"fold_{k}.pt"
        partial = path.with_suffix(".pt.partial")
        torch.save(state, partial)
        os.replace(partial, path)  # a crash never leaves a half-written fold under the final name
        entries.append(FoldWeights(path.name, sha256_of(path)))
    written = card.with_folds(tuple(entries))
    partial_card = folder / (CARD_FILE_NAME + ".partial")
    partial_card.write_text(written.to_json(), encoding="utf-8")
    os.replace(partial_card, folder / CARD_FILE_NAME)
    return written


def _load_fold(folder: Path, card: ModelCard, fold: FoldWeights):
    """One verified fold network; InputError for a missing, mismatching or unreadable file."""
    import torch

    path = folder / fold.file
    if not path.is_file():
        raise InputError(f"The model {card.name!r} is incomplete: weight file {path} is missing. Reinstall the model.")
    if sha256_of(path) != fold.sha256:
        raise InputError(
            f"The weight file {path} does not match the checksum in its model card: it is damaged or was replaced. "
            "Reinstall the model or retrain it."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types (UnpicklingError, RuntimeError, EOFError) for bad files
        raise InputError(f"The weight file {path} cannot be read as PyTorch weights ({type(exc).__name__}).") from exc
    if not isinstance(state, Mapping):
        raise InputError(f"The weight file {path} holds no state_dict.")
    return _check_fits(card, state, f"The weight file {path}")


def resolve_model_folder(source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None) -> Path:
    """Folder of a model given as a folder path, a path to its card, or a model name found by :func:`list_models`.

    Raises
    ------
    InputError
        A blank name, a folder without a model card, or a name no model has (the message lists the available ones).
    """
    if not str(source).strip():
        raise InputError("No model was given; name one (see `calcification models`) or give its folder.")
    path = Path(source).expanduser()
    if path.name == CARD_FILE_NAME and path.is_file():
        return path.parent
    if (path / CARD_FILE_NAME).is_file():
        return path
    entries = list_models(search_dirs)
    matches = [entry for entry in entries if str(source) in (entry.name, entry.folder.name)]
    if matches:
        return _preferring_user_models(matches, str(source)).folder
    available = ", ".join(e.name for e in entries) or "none installed"
    if path.is_dir():
        raise InputError(f"{path} has no {CARD_FILE_NAME}, so it is not a model folder. Available models: "
                         f"{available}.")  # fmt: skip
    raise InputError(f"No model named or located at {str(source)!r}. Available models: {available}.")


def _preferring_user_models(matches: list[ModelEntry], name: str) -> ModelEntry:
    """The user's model when a user model and a shipped one answer to ``name``, with a warning naming both."""
    user = [entry for entry in matches if entry.origin == "user"]
    shipped = [entry for entry in matches if entry.origin == "shipped"]
    if user and shipped:
        warnings.warn(
            f"Two models are named {name!r}: the user's in {user[0].folder} and a shipped one in {shipped[0].folder}; "
            f"using the user's. Rename one of them to choose the other.",
            UserWarning,
            stacklevel=3,
        )
        return user[0]
    return matches[0]


def load_model(source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None) -> LoadedModel:
    """Load and verify a model: card, checksum of every fold, ``weights_only=True`` load, strict state_dict fit.

    Parameters
    ----------
    source : str or path
        Model folder, path to its ``model_card.json``, or a model name (see :func:`list_models`).
    search_dirs : iterable of paths, optional
        Where names are looked up; :func:`default_search_dirs` by default.

    Raises
    ------
    InputError
        Missing folder, card or weight file; invalid card; checksum mismatch; unreadable or ill-fitting weights.
    """
    folder = resolve_model_folder(source, search_dirs)
    card = read_card(folder)
    if not card.folds:
        raise InputError(f"The model {card.name!r} in {folder} lists no weight files in its card.")
    networks = tuple(_load_fold(folder, card, fold) for fold in card.folds)
    return LoadedModel(card=card, folder=folder, networks=networks)


def list_models(search_dirs: Optional[Iterable[Path]] = None) -> list[ModelEntry]:
    """Models (sub-folders with a readable card) in ``search_dirs``, shipped first; weights are not verified here.

    A folder with an unreadable card is skipped with a logged warning so one broken model does not hide the rest.
    """
    dirs = list(search_dirs) if search_dirs is not None else list(default_search_dirs())
    shipped = shipped_models_dir()
    entries = []
    for directory in dirs:
        directory = Path(directory).expanduser()
        if not directory.is_dir():
            continue
        origin = "shipped" if directory.resolve() == shipped else "user"
        for child in sorted(p for p in directory.iterdir() if (p / CARD_FILE_NAME).is_file()):
            try:
                card = read_card(child)
            except InputError as exc:
                _LOG.warning("Skipping model folder %s: %s", child, exc)
                continue
            entries.append(ModelEntry(card.name, child, card, origin))
    return entries


PREFERRED_FILE_NAME = "preferred_model.json"


def set_preferred_model(name: Optional[str], folder: Optional[Path] = None) -> None:
    """Make the model ``name`` the one used when none is chosen (``None`` goes back to the shipped default).

    Stored as ``preferred_model.json`` in the user's model folder (``folder`` overrides it), so the Slicer panel,
    the console and the headless command agree. The name must resolve to an existing model (InputError otherwise).
    """
    folder = Path(folder) if folder is not None else user_models_dir()
    path = folder / PREFERRED_FILE_NAME
    if name is None:
        path.unlink(missing_ok=True)
        return
    resolve_model_folder(name, search_dirs=(shipped_models_dir(), folder))  # refuse a name that leads nowhere
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"model": str(name)}) + "\n", encoding="utf-8")
    os.replace(partial, path)


def preferred_model(folder: Optional[Path] = None) -> Optional[str]:
    """The model name set by :func:`set_preferred_model`, or None (unset or unreadable: the shipped default)."""
    path = (Path(folder) if folder is not None else user_models_dir()) / PREFERRED_FILE_NAME
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None
