"""Pictures for the report: the whole mammogram with calcification outlines and numbered cluster boxes (the
close-ups of each cluster are drawn by :mod:`.cluster_pictures`), and PNG data URIs. PNG encoding with Pillow."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np

from ..rendering.overlay import PNG_OPTIONS, render_overlay
from .cluster_pictures import CLUSTER_BOX_RGB, draw_numbered_boxes

__all__ = ["CLUSTER_BOX_RGB", "breast_crop", "overview_picture", "palette_png_data_uri", "png_data_uri"]


def breast_crop(
    shape: tuple[int, int], breast: np.ndarray | None, masks: Sequence[np.ndarray | None] = (), margin_px: int = 0
) -> tuple[slice, slice]:
    """Rows and columns of the smallest box holding the breast and every non-zero pixel of ``masks`` (the
    calcifications), widened by ``margin_px`` and kept inside ``shape``: what a picture of the breast needs, without
    the background and the film label around it. The whole image when there is nothing to hold."""
    keep = np.zeros(shape, bool) if breast is None else np.asarray(breast, dtype=bool).copy()
    for mask in masks:
        if mask is not None:
            keep |= np.asarray(mask) != 0
    if not keep.any():
        return slice(0, shape[0]), slice(0, shape[1])
    spans = []
    for axis in (1, 0):  # rows: any along the columns; columns: any along the rows
        present = np.flatnonzero(keep.any(axis=axis))
        size = shape[0] if axis == 1 else shape[1]
        spans.append(slice(max(int(present[0]) - margin_px, 0), min(int(present[-1]) + 1 + margin_px, size)))
    return spans[0], spans[1]


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


def palette_png_data_uri(rgb: np.ndarray) -> str:
    """:func:`png_data_uri` of a grey picture with a few coloured outlines, as an 8-bit palette PNG: about a quarter
    of the bytes of RGB and faster to write. The colours are kept exactly; the greys share the palette's other
    entries (at most one grey level apart, below what a screen shows), so a full-resolution mammogram stays small
    enough to embed."""
    from PIL import Image

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    coloured = (rgb[..., 0] != rgb[..., 1]) | (rgb[..., 1] != rgb[..., 2])
    colours, inverse = np.unique(rgb[coloured], axis=0, return_inverse=True)
    if len(colours) > 16:  # not a grey picture with outlines: no palette can keep it
        return png_data_uri(rgb)
    levels = 256 - len(colours)
    index = ((rgb[..., 0].astype(np.uint16) * (levels - 1) + 127) // 255).astype(np.uint8)
    index[coloured] = (levels + inverse.ravel()).astype(np.uint8)
    greys = np.round(np.arange(levels) * 255 / max(levels - 1, 1)).astype(np.uint8)
    palette = np.concatenate([np.repeat(greys[:, None], 3, axis=1), colours.astype(np.uint8)])
    picture = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    picture.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    picture.save(buffer, **PNG_OPTIONS)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def png_data_uri(rgb: np.ndarray) -> str:
    """``data:image/png;base64,...`` of an RGB uint8 picture, for a self-contained HTML page."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, **PNG_OPTIONS)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
