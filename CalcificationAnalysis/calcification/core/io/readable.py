"""Files and folders this user may not read: one message for all of them, said before any work.

A mammogram, a folder of them, a segmentation or a model that belongs to another user (or lost its read permission)
raised ``PermissionError`` deep inside a reader, and a folder that cannot be listed looked empty ("no mammogram
file found"). Each entry point asks :func:`check_readable` first, and :func:`unreadable_error` words the error for
what slipped through.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError


def unreadable_error(path, what: str = "") -> InputError:
    """The one-line error for ``path`` (a ``what``, e.g. "folder") that this user may not read or enter."""
    kind = f"the {what} " if what else ""
    return InputError(
        f"Cannot read {kind}{path}: permission denied (it belongs to another user or is not readable); give this "
        "user read access, or leave it out."
    )


def check_readable(path: os.PathLike | str) -> None:
    """InputError (:func:`unreadable_error`) when the existing file or folder ``path`` cannot be read (opened, or
    listed and entered); nothing is read beyond that. A missing path is left to the caller's own message."""
    path = Path(path)
    try:
        if path.is_dir():
            with os.scandir(path):
                pass
            if not os.access(path, os.X_OK):
                raise PermissionError(path)
        elif path.exists():
            with open(path, "rb"):
                pass
    except PermissionError:
        raise unreadable_error(path, "folder" if path.is_dir() else "") from None
