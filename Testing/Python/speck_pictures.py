"""The small test picture the run-level tests share: Hessian-DoG finds its specks in well under a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def make_image(path: Path, seed: int = 0) -> Path:
    """A 160 x 128 8-bit picture with six bright 2 x 2 specks, saved at ``path`` (its folder made if missing)."""
    rng = np.random.default_rng(seed)
    pixels = (60 + rng.random((160, 128)) * 40).astype(np.uint8)
    for row, col in rng.integers(20, 100, size=(6, 2)):
        pixels[row : row + 2, col : col + 2] = 250
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path
