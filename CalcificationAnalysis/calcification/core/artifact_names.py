"""Names of the models and classifiers a user trains: a name, never a path.

``--name`` becomes a folder under the user's model or classifier folder, so it must not be able to leave it
(``../..``, an absolute path, a separator). ``--out`` is the way to choose another folder.
"""

from __future__ import annotations

import re

from .errors import InputError

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def check_artifact_name(name, what: str = "model") -> str:
    """``name`` if it is a plain name (letters, digits, ``-``, ``_``, ``.``; not ``.`` or ``..``; at most 100
    characters), else :class:`InputError` saying what is allowed.

    Raises
    ------
    InputError
        Empty name, a path separator or another character, or ``.`` / ``..``.
    """
    text = "" if name is None else str(name)
    if not text.strip():
        raise InputError(f"Name the {what} with --name (it is how the panel and the command list it).")
    if not _NAME.match(text) or text in (".", ".."):
        raise InputError(
            f"The {what} name {text!r} is not a plain name: use letters, digits, '-', '_' and '.' only (no folders; "
            "choose a folder with --out)."
        )
    return text
