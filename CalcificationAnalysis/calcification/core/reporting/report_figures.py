"""Pictures for the report: the whole mammogram with calcification outlines and numbered cluster boxes, and a zoomed
crop of each cluster. Pure numpy; PNG encoding with Pillow."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from ..rendering.overlay import PNG_OPTIONS, render_overlay

#: Colour of cluster boxes (RGB): magenta, distinct from the yellow outlines and the blue breast boundary.
CLUSTER_BOX_RGB = (255, 60, 200)


def _draw_box(rgb: np.ndarray, box: tuple[int, int, int, int], thickness: int) -> None:
    """Draw the rectangle rows r0..r1, columns c0..c1 (inclusive, clipped to the picture) in place."""
    rows, cols = rgb.shape[:2]
    r0, c0, r1, c1 = (int(v) for v in box)
    r0, r1 = max(0, min(r0, rows - 1)), max(0, min(r1, rows - 1))
    c0, c1 = max(0, min(c0, cols - 1)), max(0, min(c1, cols - 1))
    t = max(1, thickness)
    rgb[r0 : r0 + t, c0 : c1 + 1] = CLUSTER_BOX_RGB
    rgb[max(r1 - t + 1, 0) : r1 + 1, c0 : c1 + 1] = CLUSTER_BOX_RGB
    rgb[r0 : r1 + 1, c0 : c0 + t] = CLUSTER_BOX_RGB
    rgb[r0 : r1 + 1, max(c1 - t + 1, 0) : c1 + 1] = CLUSTER_BOX_RGB


def overview_picture(
    pixels: np.ndarray,
    labels: np.ndarray,
    breast: np.ndarray | None,
    cluster_boxes: Sequence[tuple[int, int, int, int]] = (),
    max_size_px: int = 1400,
    vascular: np.ndarray | None = None,
) -> np.ndarray:
    """The mammogram with calcification outlines (yellow), breast boundary (blue) and cluster boxes (magenta).

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

    Returns
    -------
    np.ndarray, uint8, (rows / f, cols / f, 3)
    """
    rgb = render_overlay(pixels, labels, breast, max_size_px=max_size_px, vascular_mask=vascular)
    factor = pixels.shape[0] / rgb.shape[0]
    for box in cluster_boxes:
        _draw_box(rgb, tuple(int(round(v / factor)) for v in box), thickness=2)
    return rgb


def cluster_crop(
    pixels: np.ndarray,
    labels: np.ndarray,
    box: tuple[int, int, int, int],
    spacing_mm: tuple[float, float],
    margin_mm: float = 2.0,
    min_size_px: int = 240,
) -> np.ndarray:
    """A zoomed crop around ``box`` (plus ``margin_mm``) with outlines, enlarged to at least ``min_size_px`` by
    pixel replication so that sub-millimetre calcifications stay visible.

    Returns
    -------
    np.ndarray, uint8, (h, w, 3)
    """
    if pixels.shape != labels.shape:
        raise InputError(f"The labels have shape {labels.shape}, the image {pixels.shape}.")
    margin = (int(np.ceil(margin_mm / spacing_mm[0])), int(np.ceil(margin_mm / spacing_mm[1])))
    r0, c0 = max(0, int(box[0]) - margin[0]), max(0, int(box[1]) - margin[1])
    r1, c1 = min(pixels.shape[0], int(box[2]) + margin[0] + 1), min(pixels.shape[1], int(box[3]) + margin[1] + 1)
    rgb = render_overlay(pixels[r0:r1, c0:c1], labels[r0:r1, c0:c1], None, max_size_px=max(r1 - r0, c1 - c0))
    zoom = max(1, int(np.ceil(min_size_px / max(rgb.shape[:2]))))
    return np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1)


def png_data_uri(rgb: np.ndarray) -> str:
    """``data:image/png;base64,...`` of an RGB uint8 picture, for a self-contained HTML page."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, **PNG_OPTIONS)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
