"""Cluster pictures a radiologist can compare: numbered boxes on the whole mammogram, and close-ups of every cluster
at one common magnification, each with its number, a millimetre scale bar and outlines one screen pixel thin, drawn
just outside each calcification so its own shape stays visible. A close-up is never reduced (every mammogram pixel
is at least one screen pixel) and is at least :data:`CLOSE_UP_MIN_PX` on the screen; calcifications that are not the
cluster's are outlined in their own colour.

Text is drawn with Pillow's built-in font, so nothing outside the package is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..rendering.overlay import OUTLINE_RGB, VASCULAR_RGB, apply_window, display_window

#: Colour of cluster boxes and their numbers (RGB): magenta, distinct from the yellow outlines and the blue breast.
CLUSTER_BOX_RGB = (255, 60, 200)

#: Colour of calcifications outside the cluster a close-up shows (RGB): cyan, apart from the cluster's yellow.
OTHER_CALCIFICATION_RGB = (0, 220, 255)

#: Smallest side of a close-up on the page, screen pixels: at a 6 mm field, 0.4 mm calcifications are 27 px or more.
CLOSE_UP_MIN_PX = 400

#: Smallest field of view of a close-up (mm): about a magnification view's region of interest.
MIN_FIELD_MM = 6.0


def _font(size_px: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=max(8, int(size_px)))


def draw_numbered_boxes(
    rgb: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], numbers: Sequence[int]
) -> np.ndarray:
    """Draw each box (row0, col0, row1, col1, inclusive, in ``rgb``'s pixels) in magenta with its number beside it.

    The number sits on a magenta tag above the box's left corner (below it when the box touches the top edge), so
    it never hides the calcifications inside. Returns a new array.
    """
    from PIL import Image, ImageDraw

    picture = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    draw = ImageDraw.Draw(picture)
    size = max(12, min(rgb.shape[:2]) // 25)  # about 20 screen pixels when the picture is shown 860 px tall
    font = _font(size)
    width = max(2, max(rgb.shape[:2]) // 600)
    for (r0, c0, r1, c1), number in zip(boxes, numbers, strict=True):
        draw.rectangle(
            (int(c0) - width, int(r0) - width, int(c1) + width, int(r1) + width), outline=CLUSTER_BOX_RGB, width=width
        )
        text = str(number)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tag_w, tag_h = right - left + 6, bottom - top + 6
        y = int(r0) - width - tag_h if int(r0) - width - tag_h >= 0 else int(r1) + width + 1
        x = min(max(int(c0) - width, 0), max(rgb.shape[1] - tag_w, 0))
        draw.rectangle((x, y, x + tag_w, y + tag_h), fill=CLUSTER_BOX_RGB)
        draw.text((x + 3 - left, y + 3 - top), text, fill=(255, 255, 255), font=font)
    return np.asarray(picture)


@dataclass(frozen=True)
class CloseUpGeometry:
    """One magnification for every close-up of an image.

    Attributes
    ----------
    field_px : (int, int)
        Rows and columns of mammogram pixels each close-up shows.
    zoom : int
        Screen pixels per mammogram pixel, at least 1 (pixel replication, so no detail is invented or lost).
    field_mm : float
        Side of the field of view, mm (rows).
    """

    field_px: tuple[int, int]
    zoom: int
    field_mm: float


def close_up_geometry(boxes, spacing_mm: tuple[float, float], margin_mm: float = 1.0) -> CloseUpGeometry:
    """The common field of view: large enough for the largest cluster plus ``margin_mm`` on each side, and at least
    :data:`MIN_FIELD_MM`; the zoom is the smallest integer (1: native resolution) that makes it at least
    :data:`CLOSE_UP_MIN_PX` screen pixels on its shorter side."""
    extent_mm = max(
        (max((b[2] - b[0] + 1) * spacing_mm[0], (b[3] - b[1] + 1) * spacing_mm[1]) for b in boxes), default=0
    )
    field_mm = max(MIN_FIELD_MM, extent_mm + 2 * margin_mm)
    field_px = (int(np.ceil(field_mm / spacing_mm[0])), int(np.ceil(field_mm / spacing_mm[1])))
    zoom = max(1, int(np.ceil(CLOSE_UP_MIN_PX / min(field_px))))
    return CloseUpGeometry(field_px, zoom, field_mm)


def _field(shape: tuple[int, int], box, field_px: tuple[int, int]) -> tuple[slice, slice]:
    """A ``field_px`` window centred on ``box``, shifted to stay inside the image."""
    spans = []
    for axis, (low, high) in enumerate(((box[0], box[2]), (box[1], box[3]))):
        size = min(field_px[axis], shape[axis])
        start = int(round((low + high) / 2 - size / 2))
        start = min(max(start, 0), shape[axis] - size)
        spans.append(slice(start, start + size))
    return spans[0], spans[1]


def _outline_outside(mask: np.ndarray) -> np.ndarray:
    """A one-pixel ring just outside each object of a boolean mask."""
    return ndimage.binary_dilation(mask) & ~mask


def cluster_close_up(
    pixels: np.ndarray,
    labels: np.ndarray,
    box: tuple[int, int, int, int],
    number: int | None,
    spacing_mm: tuple[float, float],
    geometry: CloseUpGeometry,
    vascular: np.ndarray | None = None,
    window: tuple[float, float] | None = None,
    member_labels: Sequence[int] | None = None,
) -> np.ndarray:
    """A close-up of one cluster: magnified ``geometry.zoom`` times, outlines one screen pixel thin outside each
    calcification (the cluster's yellow, others cyan), the cluster number top left and a 1 mm scale bar bottom left.

    Parameters
    ----------
    pixels : float (rows, cols)
    labels : int (rows, cols), non-zero on calcifications
    box : (row0, col0, row1, col1), inclusive, full-resolution pixels
    number : int or None
        The cluster's number (as on the overview and in the cluster table); None draws no number.
    spacing_mm : (row, col) mm
    geometry : CloseUpGeometry
        The same for every close-up of the image, so they compare at a glance.
    vascular : int (rows, cols), optional
        Vascular calcifications, outlined in their own colour.
    window : (low, high), optional
        Display window (see :func:`~calcification.core.rendering.overlay.display_window` of the breast), so every
        close-up has the same grey scale; the close-up's own percentiles when None.
    member_labels : sequence of int, optional
        The cluster's labels: outlined in :data:`~calcification.core.rendering.overlay.OUTLINE_RGB`, the other
        labels in the field in :data:`OTHER_CALCIFICATION_RGB`. None: every label is the cluster's.

    Returns
    -------
    np.ndarray, uint8 (rows * zoom, cols * zoom, 3)
    """
    from PIL import Image, ImageDraw

    rows, cols = _field(pixels.shape, box, geometry.field_px)
    zoom = geometry.zoom
    grey = apply_window(pixels[rows, cols], window or display_window(pixels[rows, cols]))
    big = np.repeat(np.repeat(grey, zoom, axis=0), zoom, axis=1)
    rgb = np.repeat(big[..., None], 3, axis=2)
    field = labels[rows, cols]
    members = field != 0 if member_labels is None else np.isin(field, np.asarray(member_labels, dtype=field.dtype))
    others = (field != 0) & ~members
    vascular_field = None if vascular is None else vascular[rows, cols] != 0
    for mask, colour in ((members, OUTLINE_RGB), (others, OTHER_CALCIFICATION_RGB), (vascular_field, VASCULAR_RGB)):
        if mask is not None and mask.any():
            objects = np.repeat(np.repeat(mask, zoom, axis=0), zoom, axis=1)
            rgb[_outline_outside(objects)] = colour
    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    font = _font(18)
    if number is not None:
        left, top, right, bottom = draw.textbbox((0, 0), str(number), font=font)
        draw.rectangle((0, 0, right - left + 10, bottom - top + 8), fill=CLUSTER_BOX_RGB)
        draw.text((5 - left, 4 - top), str(number), fill=(255, 255, 255), font=font)
    bar_px = int(round(zoom / spacing_mm[1]))  # 1 mm in screen pixels
    height = picture.height
    draw.rectangle((8, height - 14, 8 + bar_px, height - 9), fill=(255, 255, 255), outline=(0, 0, 0))
    draw.text((12 + bar_px, height - 24), "1 mm", fill=(255, 255, 255), font=_font(14))
    return np.asarray(picture)
