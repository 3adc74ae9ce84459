"""The model CalcificationAnalysis uses when none is chosen: "Use this model for analysis" in CalcificationTraining.

The one owner of that setting. It is a small JSON file, ``preferred_model.json`` (``{"model": NAME_OR_FOLDER}``), in
the user's model folder (``$CALCIFICATION_MODELS_DIR``, else ``~/.calcification/models``; see
:func:`calcification.core.models.model_store.user_models_dir`), read by the segmentation default
(``core/segmentation/network_method.py``), the panels' model lists (``logic/model_choices.py``) and ``calcification
models``. The model's card must load before it is chosen, a model outside the model folders is kept by its folder,
and a setting that no longer leads to a readable model reads as unset (the shipped default) instead of failing later.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Optional, Union

from ..errors import InputError
from . import model_store

_LOG = logging.getLogger(__name__)

#: Name of the setting file in the user's model folder.
PREFERRED_FILE_NAME = "preferred_model.json"


def preferred_model_file(models_dir: Optional[os.PathLike] = None) -> Path:
    """Path of the setting file: ``preferred_model.json`` in ``models_dir`` (default: the user's model folder)."""
    folder = Path(models_dir) if models_dir is not None else model_store.user_models_dir()
    return folder / PREFERRED_FILE_NAME


def _search_dirs(models_dir: Optional[os.PathLike]) -> tuple[Path, Path]:
    user = Path(models_dir) if models_dir is not None else model_store.user_models_dir()
    return model_store.shipped_models_dir(), user


def set_preferred_model(
    name_or_folder: Union[str, os.PathLike, None], models_dir: Optional[os.PathLike] = None
) -> Optional[str]:
    """Make a model the default of the analysis; None goes back to the shipped default.

    Parameters
    ----------
    name_or_folder : str, path or None
        A model name (as ``calcification models`` lists it) or a model folder (or its ``model_card.json``). A folder
        inside the model folders is stored by its model's name; any other folder by its absolute path.
    models_dir : path, optional
        The user's model folder (where the setting is stored and names are looked up); the default one when None.

    Returns
    -------
    str or None
        What was stored (the model's name or folder), None when the setting was cleared.

    Raises
    ------
    InputError
        No such model, or its model card is missing or unreadable; the setting is left as it was.
    """
    path = preferred_model_file(models_dir)
    if name_or_folder is None:
        path.unlink(missing_ok=True)
        return None
    if not str(name_or_folder).strip():
        raise InputError("Choose a model: the name is empty.")
    search_dirs = _search_dirs(models_dir)
    model_folder = model_store.resolve_model_folder(name_or_folder, search_dirs).resolve()
    card = model_store.read_card(model_folder)  # an empty or broken folder is refused before it is chosen
    if not card.folds:
        raise InputError(f"The model {card.name!r} in {model_folder} lists no weight files; train it again.")
    found = [e for e in model_store.list_models(search_dirs) if e.name == card.name]
    stored = card.name if found and found[0].folder.resolve() == model_folder else str(model_folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"model": stored}) + "\n", encoding="utf-8")
    os.replace(partial, path)  # readers see the old setting or the new one, never half a file
    return stored


def preferred_model(models_dir: Optional[os.PathLike] = None) -> Optional[str]:
    """The model the analysis should use when none is chosen, or None for the shipped default.

    Parameters
    ----------
    models_dir : path, optional
        The user's model folder; the default one when None.

    Returns
    -------
    str or None
        A model name or folder that :func:`calcification.core.models.model_store.load_model` accepts. None when
        nothing is set, the file is unreadable, or the stored model no longer has a readable card (logged).
    """
    try:
        stored = json.loads(preferred_model_file(models_dir).read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None  # unset or unreadable: the shipped default
    if not isinstance(stored, str) or not stored:
        return None
    try:
        model_store.read_card(model_store.resolve_model_folder(stored, _search_dirs(models_dir)))
    except InputError as error:
        _LOG.warning("Ignoring the preferred model %r: %s", stored, error)
        return None
    return stored
