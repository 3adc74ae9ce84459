"""Write a file so that it is either complete or absent: to a hidden temporary name beside it, then renamed.

A crash or a full disk while writing never leaves a half-written report, table or picture under the final name, and
an existing file is replaced in one step (``os.replace`` is atomic on one file system).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_when_done(path: os.PathLike | str) -> Iterator[Path]:
    """Yield ``.<name>.partial`` beside ``path`` to write to; it becomes ``path`` when the block succeeds and is
    removed whatever happens."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: os.PathLike | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`replaced_when_done`; returns the path."""
    with replaced_when_done(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
