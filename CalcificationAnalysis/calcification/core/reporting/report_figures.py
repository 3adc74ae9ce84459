"""Pictures for the report: the whole mammogram with calcification outlines and numbered cluster boxes (the
close-ups of each cluster are drawn by :mod:`.cluster_pictures`), and PNG data URIs. PNG encoding with Pillow."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np

from ..rendering.overlay import PNG_OPTIONS, render_overlay
from .cluster_pictures import CLUSTER_BOX_RGB, draw_numbered_boxes

__all__ = ["CLUSTER_BOX_RGB", "overview_picture", "png_data_uri"]


def overview_picture(
    pixels: np.ndarray,
    labels: np.ndarray,
    breast: np.ndarray | None,
    cluster_boxes: Sequence[tuple[int, int, int, int]] = (),
    max_size_px: int = 1400,
    vascular: np.ndarray | None = None,
    numbers: Sequence[int] | None = None,
) -> np.ndarray:
    """The mammogram with calcification outlines (yellow), breast boundary (blue) and numbered cluster boxes
    (magenta).

    Parameters
    ----------
    pixels : float (rows, cols)
    labels : int or bool (rows, cols), non-zero on calcifications
    breast : bool (rows, cols) or None
    cluster_boxes : sequence of (row0, col0, row1, col1)
        Full-resolution pixel boxes, inclusive.
    max_size_px : int
        Longest side of the picture.
    vascular : int or bool (rows, cols) or None
        Vascular calcifications, outlined in their own colour.
    numbers : sequence of int, optional
        The number written beside each box (the cluster ids); 1, 2, ... when None.

    Returns
    -------
    np.ndarray, uint8, (rows / f, cols / f, 3)
    """
    rgb = render_overlay(pixels, labels, breast, max_size_px=max_size_px, vascular_mask=vascular)
    factor = pixels.shape[0] / rgb.shape[0]
    scaled = [tuple(int(round(v / factor)) for v in box) for box in cluster_boxes]
    numbers = list(range(1, len(scaled) + 1)) if numbers is None else list(numbers)
    return draw_numbered_boxes(rgb, scaled, numbers) if scaled else rgb


def png_data_uri(rgb: np.ndarray) -> str:
    """``data:image/png;base64,...`` of an RGB uint8 picture, for a self-contained HTML page."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, **PNG_OPTIONS)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
