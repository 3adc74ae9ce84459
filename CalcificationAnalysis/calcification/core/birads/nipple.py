"""Where the nipple is, roughly, for judging whether calcifications follow a duct (ducts converge on the nipple).

On a CC or MLO view the breast leans on one side of the image (the chest wall) and the nipple is the breast point
farthest from it. The chest-wall side is the image half holding more breast (the breast is widest at the chest
wall), which also works for breast masks that leave out a strip along the image edges. This is a
direction finder, not a landmark detector: an error of a centimetre changes the direction to a cluster a few
centimetres away by only a few degrees.
"""

from __future__ import annotations

from typing import Optional

import numpy as np


def estimate_nipple_mm(breast: Optional[np.ndarray], spacing_mm: tuple[float, float]) -> Optional[np.ndarray]:
    """(x, y) in mm of the breast point farthest from the chest-wall side, or None without a usable breast mask.

    Parameters
    ----------
    breast : np.ndarray, bool (rows, cols), or None
    spacing_mm : (float, float)
        Pixel spacing (row, column).
    """
    if breast is None:
        return None
    breast = np.asarray(breast, dtype=bool)
    if breast.ndim != 2 or not breast.any():
        return None
    half = breast.shape[1] // 2
    left, right = np.count_nonzero(breast[:, :half]), np.count_nonzero(breast[:, breast.shape[1] - half :])
    if abs(left - right) < 0.05 * (left + right):  # tissue filling the image (a crop): no direction
        return None
    columns = np.flatnonzero(breast.any(axis=0))
    column = columns[-1] if left > right else columns[0]
    rows = np.flatnonzero(breast[:, column])
    return np.array([column * spacing_mm[1], float(np.median(rows)) * spacing_mm[0]])
