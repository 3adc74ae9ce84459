"""Save, find, verify and load segmentation models (a folder: ``model_card.json`` + ``fold_<k>.pt`` state_dicts).

Where models are looked for, in order: the models shipped inside the package (``calcification/models/``), then the
user's model folder (``$CALCIFICATION_MODELS_DIR``, else ``~/.calcification/models``). Weights are loaded with
``torch.load(..., weights_only=True)`` only after their SHA-256 matched the card, so a damaged or swapped file is
refused before any of its bytes are unpickled.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ..artifact_store import ArtifactEntry, ArtifactStore
from ..checksums import sha256_of
from ..errors import InputError
from .model_card import CARD_FILE_NAME, FoldWeights, ModelCard

_LOG = logging.getLogger(__name__)
USER_MODELS_ENV = "CALCIFICATION_MODELS_DIR"
_NETWORKS_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A verified model ready for inference: its card, folder and one network per fold (CPU, eval mode).

    The weights' checksums are verified when the model is loaded; the networks themselves (PyTorch) are built on
    first use of :attr:`networks`, so a run that takes an already exported graph (:mod:`..inference.engines`) never
    imports PyTorch.
    """

    card: ModelCard
    folder: Path
    _networks: list = field(default_factory=list, repr=False)

    @property
    def networks(self) -> tuple:
        """One network per fold (CPU, eval mode), loaded with ``weights_only=True`` on first access."""
        with _NETWORKS_LOCK:  # threads of one process (a Dask worker) share the model: load it once
            if not self._networks:
                self._networks.extend(_load_fold(self.folder, self.card, fold) for fold in self.card.folds)
        return tuple(self._networks)


#: A model found by :func:`list_models` (name, folder, card, origin ``"shipped"`` or ``"user"``).
ModelEntry = ArtifactEntry


def shipped_models_dir() -> Path:
    """The package's own model folder, ``calcification/models``."""
    return MODEL_STORE.shipped_dir


def user_models_dir() -> Path:
    """``$CALCIFICATION_MODELS_DIR`` if set, else ``~/.calcification/models`` (it may not exist)."""
    return MODEL_STORE.user_dir()


def default_search_dirs() -> tuple[Path, Path]:
    """(shipped folder, user folder), in lookup order."""
    return MODEL_STORE.search_dirs()


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


def _verify_fold(folder: Path, card: ModelCard, fold: FoldWeights) -> Path:
    """The fold's weight file when it exists and matches the card's SHA-256; InputError otherwise."""
    path = folder / fold.file
    if not path.is_file():
        raise InputError(f"The model {card.name!r} is incomplete: weight file {path} is missing. Reinstall the model.")
    if sha256_of(path) != fold.sha256:
        raise InputError(
            f"The weight file {path} does not match the checksum in its model card: it is damaged or was replaced. "
            "Reinstall the model or retrain it."
        )
    return path


def _load_fold(folder: Path, card: ModelCard, fold: FoldWeights):
    """One verified fold network; InputError for a missing, mismatching or unreadable file."""
    import torch

    path = _verify_fold(folder, card, fold)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types (UnpicklingError, RuntimeError, EOFError) for bad files
        raise InputError(f"The weight file {path} cannot be read as PyTorch weights ({type(exc).__name__}).") from exc
    if not isinstance(state, Mapping):
        raise InputError(f"The weight file {path} holds no state_dict.")
    return _check_fits(card, state, f"The weight file {path}")


def resolve_model_folder(source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None) -> Path:
    """Folder of a model given as a folder path, a path to its card, or a model name found by :func:`list_models`
    (:meth:`ArtifactStore.resolve_folder`); InputError listing the available models otherwise."""
    return MODEL_STORE.resolve_folder(source, search_dirs)


def load_model(
    source: Union[str, Path], search_dirs: Optional[Iterable[Path]] = None, load_networks: bool = True
) -> LoadedModel:
    """Load and verify a model: card, checksum of every fold, ``weights_only=True`` load, strict state_dict fit.

    Parameters
    ----------
    source : str or path
        Model folder, path to its ``model_card.json``, or a model name (see :func:`list_models`).
    search_dirs : iterable of paths, optional
        Where names are looked up; :func:`default_search_dirs` by default.
    load_networks : bool
        False: verify the checksums now but build the networks (and import PyTorch) only when
        :attr:`LoadedModel.networks` is first used; unreadable or ill-fitting weights are then reported there.

    Raises
    ------
    InputError
        Missing folder, card or weight file; invalid card; checksum mismatch; unreadable or ill-fitting weights.
    """
    folder = resolve_model_folder(source, search_dirs)
    card = read_card(folder)
    if not card.folds:
        raise InputError(f"The model {card.name!r} in {folder} lists no weight files in its card.")
    for fold in card.folds:
        _verify_fold(folder, card, fold)
    model = LoadedModel(card=card, folder=folder)
    if load_networks:
        model.networks  # noqa: B018 - loads and checks every fold now
    return model


def list_models(search_dirs: Optional[Iterable[Path]] = None) -> list[ModelEntry]:
    """Models (sub-folders with a readable card) in ``search_dirs``, shipped first; weights are not verified here."""
    return MODEL_STORE.entries(search_dirs)


#: Where models are found (the lookup rules shared with classifiers).
MODEL_STORE = ArtifactStore(
    kind="model",
    shipped_dir=Path(__file__).resolve().parents[2] / "models",
    user_env=USER_MODELS_ENV,
    user_default=Path.home() / ".calcification" / "models",
    card_file=CARD_FILE_NAME,
    read_card=read_card,
    list_command="calcification models",
)
