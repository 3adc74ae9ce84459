"""Integer block down- and up-sampling: masks are found on a coarse copy (about 0.5 mm pixels) for speed."""

from __future__ import annotations

import numpy as np


def block_factor(spacing_mm: tuple[float, float], target_mm: float) -> int:
    """Integer factor that brings the finer pixel spacing close to ``target_mm`` (at least 1)."""
    return max(1, int(round(target_mm / min(spacing_mm))))


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` x ``factor`` blocks (edges padded by replication), float32."""
    if factor == 1:
        return image.astype(np.float32, copy=False)
    rows, cols = image.shape
    pad_r, pad_c = (-rows) % factor, (-cols) % factor
    padded = np.pad(image, ((0, pad_r), (0, pad_c)), mode="edge") if pad_r or pad_c else image
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def block_expand(mask: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour inverse of :func:`block_mean`: repeat each coarse pixel and crop to ``shape``."""
    if factor == 1:
        return mask[: shape[0], : shape[1]].copy()
    return np.repeat(np.repeat(mask, factor, axis=0), factor, axis=1)[: shape[0], : shape[1]]
