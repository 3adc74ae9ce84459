"""Render a mammogram with calcification outlines as an RGB picture, for a quick look without Slicer.

Calcifications are a few pixels wide while a full-field mammogram is thousands wide, so a plain downscale would
erase their outlines. The outline is therefore drawn at full resolution, thickened by the downscale factor and
reduced with a maximum, so every object stays visible at any output size.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np
from scipy import ndimage

from ..atomic_files import replaced_when_done
from ..errors import InputError

#: How the product's PNG pictures are encoded. zlib level 3: a full-field overlay in about a quarter of the time of
#: ``optimize=True`` (which searches the slowest level 9) for a file about 10 % larger; the pixels are the same.
PNG_OPTIONS = {"format": "PNG", "compress_level": 3}

#: Colour of calcification outlines (RGB): yellow, readable on grey.
OUTLINE_RGB = (255, 210, 0)
#: Colour of the breast-region boundary (RGB): a discreet blue.
BREAST_RGB = (70, 140, 255)
#: Colour of vascular calcification outlines (RGB): orange-red, apart from the yellow of the others.
VASCULAR_RGB = (255, 90, 40)


def window_to_uint8(pixels: np.ndarray, region: Optional[np.ndarray] = None) -> np.ndarray:
    """Map intensities to 0-255 with the 0.5th-99.8th percentiles of ``region`` (the breast), like a display window.

    Parameters
    ----------
    pixels : np.ndarray, float, shape (rows, cols)
    region : np.ndarray of bool, same shape, optional
        Pixels whose intensities set the window; the whole image when None or empty.

    Returns
    -------
    np.ndarray, uint8, shape (rows, cols)
    """
    return apply_window(pixels, display_window(pixels, region))


def display_window(pixels: np.ndarray, region: Optional[np.ndarray] = None) -> tuple[float, float]:
    """The 0.5th and 99.8th percentiles of ``pixels`` inside ``region`` (all pixels when None or empty)."""
    sample = pixels[region] if region is not None and region.any() else pixels
    if sample.size > 1_000_000:  # percentiles of a sub-sample are indistinguishable and much faster
        sample = sample[:: sample.size // 1_000_000]
    low, high = np.percentile(sample, [0.5, 99.8])
    return float(low), float(high)


def apply_window(pixels: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Map ``window`` (low, high) of ``pixels`` to 0-255 (uint8, clipped)."""
    low, high = window
    scale = 255.0 / max(float(high - low), 1e-6)
    return np.clip((pixels - low) * scale, 0, 255).astype(np.uint8)


def _reduce(image: np.ndarray, factor: int, use_max: bool) -> np.ndarray:
    """Downscale a 2D array by an integer ``factor`` (block mean, or block max for masks)."""
    if factor == 1:
        return image
    rows, cols = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor)
    return blocks.max(axis=(1, 3)) if use_max else blocks.mean(axis=(1, 3), dtype=np.float32)


def render_overlay(
    pixels: np.ndarray,
    calcification_mask: np.ndarray,
    breast_mask: Optional[np.ndarray] = None,
    max_size_px: int = 2048,
    vascular_mask: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Return an RGB picture of the mammogram with calcification (and breast) outlines.

    Parameters
    ----------
    pixels : np.ndarray, float, shape (rows, cols)
        The mammogram, bright = dense.
    calcification_mask : np.ndarray, bool or integer labels, shape (rows, cols)
        Non-zero where a calcification is.
    breast_mask : np.ndarray of bool, shape (rows, cols), optional
        Drawn as a thin boundary when given; also sets the display window.
    max_size_px : int
        Longest side of the picture; larger images are reduced by an integer factor.
    vascular_mask : np.ndarray, bool or integer labels, shape (rows, cols), optional
        Vascular calcifications, outlined in :data:`VASCULAR_RGB`.

    Returns
    -------
    np.ndarray, uint8, shape (rows / f, cols / f, 3)
    """
    if calcification_mask.shape != pixels.shape or (breast_mask is not None and breast_mask.shape != pixels.shape):
        raise InputError(f"Overlay masks must have the image's shape {pixels.shape}.")
    factor = max(1, int(np.ceil(max(pixels.shape) / max(int(max_size_px), 1))))
    small_breast = _reduce(breast_mask, factor, use_max=True) if breast_mask is not None else None
    grey = window_to_uint8(_reduce(pixels.astype(np.float32, copy=False), factor, use_max=False), small_breast)
    rgb = np.repeat(grey[..., None], 3, axis=2)

    for mask, colour in ((calcification_mask, OUTLINE_RGB), (vascular_mask, VASCULAR_RGB)):
        if mask is None:
            continue
        if mask.shape != pixels.shape:
            raise InputError(f"Overlay masks must have the image's shape {pixels.shape}.")
        objects = mask != 0
        outline = objects & ~ndimage.binary_erosion(objects)
        # Draw a ring just outside each object so the bright calcification itself stays visible.
        ring = ndimage.binary_dilation(objects, iterations=max(1, factor)) & ~objects
        rgb[_reduce(outline | ring, factor, use_max=True)] = colour
    if small_breast is not None:
        rgb[small_breast & ~ndimage.binary_erosion(small_breast)] = BREAST_RGB
    return rgb


def save_png(rgb: np.ndarray, path: os.PathLike | str) -> Path:
    """Write an RGB uint8 array as PNG atomically (a temporary file renamed into place). Returns the path."""
    from PIL import Image

    with replaced_when_done(path) as temporary:
        Image.fromarray(rgb).save(temporary, **PNG_OPTIONS)
    return Path(path)
