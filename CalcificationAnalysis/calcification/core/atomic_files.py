"""Write a text file so that it is either complete or absent: to a hidden temporary name beside it, then renamed.

A crash or a full disk while writing never leaves a half-written report or table under the final name, and an
existing file is replaced in one step (``os.replace`` is atomic on one file system).
"""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: os.PathLike | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through ``.<name>.partial`` in the same folder; returns the path."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
