"""SHA-256 of files: how shipped models, classifiers and the sample data prove they are the bytes that were saved."""

from __future__ import annotations

import hashlib
import os


def sha256_of(path: os.PathLike | str) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks (constant memory for any file size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
