"""Tiled prediction over an image of any size with smooth blending and bounded memory.

The image is covered by overlapping tiles (512 x 512, 20% overlap by default); only tiles that touch the region of
interest (the breast) are predicted. Each tile's output is multiplied by a weight window that is 1 in the middle and
falls off smoothly towards the tile edges, summed into float32 accumulators of the image's size, and divided by the
summed weights at the end, so seams between tiles disappear (the blending of nnU-Net, Isensee et al. 2021).
Tiles are predicted in batches and never all held at once: memory is the accumulators plus one batch.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..progress import ProgressCallback, report_progress

#: predict(batch (B, 1, h, w) float32) -> (B, K, h, w) float32: K output maps per tile (e.g. probabilities).
TilePredictor = Callable[[np.ndarray], np.ndarray]


class BlendWindow(str, enum.Enum):
    """Tile weight window. ``COSINE``: 1 in the centre, raised-cosine ramps across the overlap width at each edge.
    ``GAUSSIAN``: separable Gaussian with sigma = tile size / 8 (nnU-Net), floored so edge pixels keep some weight."""

    COSINE = "cosine"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class TilingConfig:
    """Tiling settings (pixels at the model's spacing).

    Attributes
    ----------
    tile_size : int
        Tile side; a smaller image axis gets one tile of the image's own length.
    overlap : float
        Fraction of the tile shared with the neighbour, in [0, 0.9].
    batch_size : int
        Tiles per network call.
    window : BlendWindow
    """

    tile_size: int = 512
    overlap: float = 0.2
    batch_size: int = 4
    window: BlendWindow = BlendWindow.COSINE

    def __post_init__(self):
        if int(self.tile_size) < 16:
            raise InputError(f"The tile size must be at least 16 pixels, got {self.tile_size}.")
        if not 0.0 <= float(self.overlap) <= 0.9:
            raise InputError(f"The tile overlap must be a fraction between 0 and 0.9, got {self.overlap}.")
        if int(self.batch_size) < 1:
            raise InputError(f"The tile batch size must be at least 1, got {self.batch_size}.")


def tile_starts(length: int, tile: int, overlap: float) -> list[int]:
    """Start offsets of tiles covering ``[0, length)``: evenly spread, first at 0, last flush with the end.

    The step is at most ``tile * (1 - overlap)``, so neighbours overlap by at least ``overlap``. ``length <= tile``
    gives ``[0]`` (one tile of the image's length).
    """
    if length <= tile:
        return [0]
    step = max(1, int(math.floor(tile * (1.0 - overlap))))
    count = int(math.ceil((length - tile) / step)) + 1
    return [int(round(v)) for v in np.linspace(0, length - tile, count)]


def window_1d(size: int, ramp: int, kind: BlendWindow) -> np.ndarray:
    """Weights (float32, shape (size,)), all > 0, symmetric, max 1."""
    if kind is BlendWindow.GAUSSIAN:
        centre, sigma = (size - 1) / 2.0, size / 8.0
        weights = np.exp(-0.5 * ((np.arange(size) - centre) / sigma) ** 2)
        return np.maximum(weights, 1e-3).astype(np.float32)
    weights = np.ones(size, np.float32)
    ramp = min(ramp, size // 2)
    if ramp > 0:
        # Half-pixel offset keeps the edge weight above zero, so an image border covered by one tile is still valid.
        rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
        weights[:ramp] = rise
        weights[size - ramp :] = rise[::-1]
    return weights


def tile_window(shape: tuple[int, int], config: TilingConfig) -> np.ndarray:
    """2D weight window (float32, ``shape``): outer product of the per-axis windows."""
    ramp = int(round(config.tile_size * config.overlap))
    rows, cols = (window_1d(n, ramp, config.window) for n in shape)
    return np.outer(rows, cols).astype(np.float32)


def plan_tiles(shape: tuple[int, int], config: TilingConfig, region: Optional[np.ndarray] = None):
    """Tile boxes ``(row0, col0, rows, cols)`` covering ``shape`` that touch ``region`` (all when None)."""
    tile_rows, tile_cols = min(config.tile_size, shape[0]), min(config.tile_size, shape[1])
    boxes = []
    for r0 in tile_starts(shape[0], config.tile_size, config.overlap):
        for c0 in tile_starts(shape[1], config.tile_size, config.overlap):
            if region is None or region[r0 : r0 + tile_rows, c0 : c0 + tile_cols].any():
                boxes.append((r0, c0, tile_rows, tile_cols))
    return boxes


def predict_tiled(
    image: np.ndarray,
    predict: TilePredictor,
    n_outputs: int = 1,
    config: TilingConfig = TilingConfig(),
    region: Optional[np.ndarray] = None,
    progress: ProgressCallback = None,
) -> np.ndarray:
    """Blend per-tile predictions over the whole image.

    Parameters
    ----------
    image : np.ndarray, float32, shape (rows, cols)
        Network input (already resampled and normalised).
    predict : callable
        ``predict(batch)`` with batch (B, 1, h, w) float32 -> (B, n_outputs, h, w) float32.
    n_outputs : int
        Maps per tile (K).
    config : TilingConfig
    region : np.ndarray of bool, shape (rows, cols), optional
        Only tiles touching it are predicted; outputs elsewhere are 0.
    progress : callable, optional
        Called between batches; returning False raises :class:`CancelledError`.

    Returns
    -------
    np.ndarray, float32, shape (n_outputs, rows, cols)
        Weighted mean of the overlapping tiles' outputs; 0 where no tile was predicted.
    """
    if image.ndim != 2:
        raise InputError(f"Tiled prediction needs a 2D image, got shape {image.shape}.")
    if region is not None and region.shape != image.shape:
        raise InputError(f"The region mask has shape {region.shape}, the image {image.shape}.")
    boxes = plan_tiles(image.shape, config, region)
    accumulated = np.zeros((n_outputs, *image.shape), np.float32)
    weight_sum = np.zeros(image.shape, np.float32)
    if boxes:
        window = tile_window(boxes[0][2:], config)
    report_progress(progress, 0.0, f"Segmenting {len(boxes)} tiles")
    for first in range(0, len(boxes), config.batch_size):
        batch_boxes = boxes[first : first + config.batch_size]
        batch = np.stack([image[r : r + h, c : c + w] for r, c, h, w in batch_boxes])[:, None].astype(np.float32)
        outputs = np.asarray(predict(batch), dtype=np.float32)
        if outputs.shape != (len(batch_boxes), n_outputs, *batch.shape[2:]):
            raise ValueError(f"The tile predictor returned shape {outputs.shape} for a batch of shape {batch.shape}.")
        for (r, c, h, w), output in zip(batch_boxes, outputs, strict=True):
            accumulated[:, r : r + h, c : c + w] += output * window
            weight_sum[r : r + h, c : c + w] += window
        done = first + len(batch_boxes)
        report_progress(progress, done / len(boxes), f"Segmented tile {done} of {len(boxes)}")
    # In place, no boolean-indexed copies: the accumulators are the only image-sized arrays this function holds.
    np.divide(accumulated, weight_sum, out=accumulated, where=weight_sum > 0)
    return accumulated
