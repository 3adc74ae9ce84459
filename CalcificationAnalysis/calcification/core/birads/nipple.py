"""Where the nipple is, roughly, for judging whether calcifications follow a duct (ducts converge on the nipple).

CC views: the breast leans on one side of the image (the chest wall) and the nipple is the breast point farthest
from it. The chest-wall side is the image half holding more breast (the breast is widest at the chest wall), which
also works for breast masks that leave out a strip along the image edges.

MLO views: the chest wall is the pectoral muscle's edge, not the image edge. The nipple is the breast point
farthest from the pectoral line (the posterior nipple line is drawn perpendicular to the pectoral muscle on MLO
views: ACR BI-RADS Atlas 5th ed., positioning; Eklund & Cardenosa, Radiol Clin North Am 1992;30:21). The farthest
point from the image edge instead sits several centimetres above the nipple, because the breast is pulled up
and out over the muscle. The line is a least-squares fit through the muscle's outer edge, row by row. When no
muscle was found on an MLO view, the line is taken at :data:`TYPICAL_PECTORAL_DEGREES` from the chest wall.

This is a direction finder, not a landmark detector: an error of a centimetre changes the direction to a cluster a
few centimetres away by only a few degrees.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

#: Breast points within this distance (mm) of the farthest one are averaged: the outline near the nipple is
#: nearly parallel to the pectoral line, so a single farthest pixel would jump along it with noise.
FARTHEST_BAND_MM = 2.0

#: Angle (degrees) of the pectoral edge from the vertical chest wall assumed on an MLO view without a found muscle.
#: Well positioned MLO views show the muscle edge about 20-30 degrees from the vertical (the muscle reaching down to
#: the nipple level); 25 is the middle of that range, not fitted to any image series.
TYPICAL_PECTORAL_DEGREES = 25.0

#: Fewest muscle rows (mm of height) for a usable pectoral line; a smaller muscle gives no direction.
MIN_PECTORAL_HEIGHT_MM = 10.0


def estimate_nipple_mm(
    breast: Optional[np.ndarray],
    spacing_mm: tuple[float, float],
    pectoral: Optional[np.ndarray] = None,
    lateral: bool = False,
) -> Optional[np.ndarray]:
    """(x, y) in mm of the nipple estimate, or None without a usable breast mask.

    Parameters
    ----------
    breast : np.ndarray, bool (rows, cols), or None
        The breast (with or without the pectoral muscle).
    spacing_mm : (float, float)
        Pixel spacing (row, column).
    pectoral : np.ndarray, bool (rows, cols), optional
        The pectoral muscle of an MLO view (all False or None on CC views): the nipple is then the breast point
        farthest from the muscle's edge line.
    lateral : bool
        True for MLO / ML / LM views: without a usable muscle, the line at :data:`TYPICAL_PECTORAL_DEGREES` is used;
        on other views (or without a usable muscle on a view of unknown kind) the point farthest from the chest-wall
        side.
    """
    if breast is None:
        return None
    breast = np.asarray(breast, dtype=bool)
    if breast.ndim != 2 or not breast.any():
        return None
    if pectoral is not None:
        nipple = _farthest_from_pectoral_line(breast, np.asarray(pectoral, dtype=bool), spacing_mm)
        if nipple is not None:
            return nipple
    if lateral:
        return _farthest_from_typical_line(breast, spacing_mm)
    return _farthest_from_chest_wall(breast, spacing_mm)


def _chest_wall_left(breast: np.ndarray) -> Optional[bool]:
    """True / False when the chest wall is on the left / right (the image half holding more breast), None for a crop
    (tissue filling the image: no direction)."""
    half = breast.shape[1] // 2
    left, right = np.count_nonzero(breast[:, :half]), np.count_nonzero(breast[:, breast.shape[1] - half :])
    if abs(left - right) < 0.05 * (left + right):
        return None
    return bool(left > right)


def _farthest_from_chest_wall(breast: np.ndarray, spacing_mm: tuple[float, float]) -> Optional[np.ndarray]:
    """The breast point farthest from the chest-wall side (the image half holding more breast)."""
    wall_left = _chest_wall_left(breast)
    if wall_left is None:
        return None
    columns = np.flatnonzero(breast.any(axis=0))
    column = columns[-1] if wall_left else columns[0]
    rows = np.flatnonzero(breast[:, column])
    return np.array([column * spacing_mm[1], float(np.median(rows)) * spacing_mm[0]])


def pectoral_line_mm(pectoral: np.ndarray, spacing_mm: tuple[float, float]) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(point, unit direction), (x, y) in mm, of the line through the muscle's edge facing the breast; None when the
    muscle is missing or shorter than :data:`MIN_PECTORAL_HEIGHT_MM`.

    The edge is, per row, the muscle's column farthest from the chest wall (the side holding more muscle); the line
    is fitted as x = a * y + b, which suits a muscle edge running from the top border down to the chest wall.
    """
    if pectoral.shape[0] == 0 or not pectoral.any():
        return None
    rows = np.flatnonzero(pectoral.any(axis=1))
    if rows.size * spacing_mm[0] < MIN_PECTORAL_HEIGHT_MM:
        return None
    wall_left = np.flatnonzero(pectoral.any(axis=0)).mean() < pectoral.shape[1] / 2
    span = pectoral[rows]
    if wall_left:
        edge = pectoral.shape[1] - 1 - np.argmax(span[:, ::-1], axis=1)
    else:
        edge = np.argmax(span, axis=1)
    y, x = rows * spacing_mm[0], edge * spacing_mm[1]
    slope, intercept = np.polyfit(y, x, 1)
    direction = np.array([slope, 1.0]) / np.hypot(slope, 1.0)
    return np.array([intercept, 0.0]), direction


def _farthest_from_typical_line(breast, spacing_mm) -> Optional[np.ndarray]:
    """MLO without a found muscle: farthest from a line at :data:`TYPICAL_PECTORAL_DEGREES` to the chest wall,
    whose top leans away from it (the muscle is widest at the top of the image)."""
    wall_left = _chest_wall_left(breast)
    if wall_left is None:
        return None
    angle = np.radians(TYPICAL_PECTORAL_DEGREES)
    # direction (x, y) of the edge going down the image, towards the chest wall
    direction = np.array([-np.sin(angle) if wall_left else np.sin(angle), np.cos(angle)])
    return _farthest_from_line(breast, spacing_mm, np.zeros(2), direction, wall_left)


def _farthest_from_pectoral_line(breast, pectoral, spacing_mm) -> Optional[np.ndarray]:
    """The breast points farthest from the fitted pectoral line (see :func:`_farthest_from_line`)."""
    if pectoral.shape != breast.shape:
        return None
    line = pectoral_line_mm(pectoral, spacing_mm)
    if line is None:
        return None
    wall_left = bool(np.flatnonzero(pectoral.any(axis=0)).mean() < pectoral.shape[1] / 2)
    return _farthest_from_line(breast, spacing_mm, *line, wall_left)


def _farthest_from_line(breast, spacing_mm, point: np.ndarray, direction: np.ndarray, wall_left: bool) -> np.ndarray:
    """Mean position of the breast points within :data:`FARTHEST_BAND_MM` of the largest distance from the line
    through ``point`` along ``direction`` ((x, y) in mm), on the breast's side of it."""
    step = max(1, int(round(1.0 / min(spacing_mm))))  # about 1 mm: plenty for a direction finder
    rows, cols = np.nonzero(breast[::step, ::step])
    xy = np.stack([cols * step * spacing_mm[1], rows * step * spacing_mm[0]], axis=1)
    normal = np.array([direction[1], -direction[0]])
    if (normal[0] > 0) != wall_left:  # the normal must point into the breast, away from the chest wall
        normal = -normal
    distance = (xy - point) @ normal
    near = distance >= distance.max() - FARTHEST_BAND_MM
    return xy[near].mean(axis=0)
