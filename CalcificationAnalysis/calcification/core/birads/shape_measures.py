"""Shape measures the BI-RADS morphology words rest on that the Tong et al. feature set does not carry: skeleton
length and branch ends (linear and branching casts), mean width (fine versus coarse), a lucent centre (rim or
eggshell calcifications), orientation (rods and vessel walls along a duct or vessel), and whether a thin rod has a
parallel partner (the two walls of a calcified vessel, "tram track").

All values are in mm or plain ratios, measured on a crop around each object found once with
``scipy.ndimage.find_objects``, so the cost grows with the number of calcifications, not with the image size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: Objects with fewer pixels than this have no measurable centre: their lucency is 0 (a 3 x 3 disc has one centre
#: pixel and eight rim pixels, too few for a hollow to show).
MIN_LUCENCY_PIXELS = 12

#: Objects of fewer pixels are specks: no skeleton (length 0, width = area / Feret) and no lucent centre.
MIN_SKELETON_PIXELS = 8

#: Two thin rods are walls of one vessel when their centres lie within this distance (mm) and their directions
#: differ by less than :data:`PARALLEL_DEGREES`: calcified arterial walls of the breast are about 1-2 mm apart.
PARTNER_DISTANCE_MM = 2.0
PARALLEL_DEGREES = 20.0


@dataclass(frozen=True, eq=False)
class ShapeMeasures:
    """One row per calcification, in the row order of the :class:`CalcificationMeasurements` they extend.

    Attributes (all shape (n,), float64)
    ------------------------------------
    skeleton_mm : length of the object's skeleton (mm); about the length of a cast, 0 for one pixel.
    branch_ends : number of skeleton end points (2 for a rod, 3 or more for a branching cast).
    width_mm : area / max(skeleton length, Feret diameter), mm: the calibre of a cast, about the diameter of a speck.
    lucency : (rim mean - centre mean) / (rim mean - surround mean); above about 0.15 the centre is lucent.
    orientation_rad : direction of the long axis (radians, atan2(row, column), in [0, pi)).
    partner : 1.0 when a parallel thin rod lies within :data:`PARTNER_DISTANCE_MM`, else 0.0.
    """

    skeleton_mm: np.ndarray
    branch_ends: np.ndarray
    width_mm: np.ndarray
    lucency: np.ndarray
    orientation_rad: np.ndarray
    partner: np.ndarray


def measure_shapes(image: np.ndarray, labels: np.ndarray, measurements) -> ShapeMeasures:
    """Skeleton, width, lucency, orientation and parallel partners of every calcification.

    Parameters
    ----------
    image : np.ndarray, float (rows, cols)
        The mammogram the measurements were made on (bright = dense).
    labels : np.ndarray, int (rows, cols)
        The instance labels of ``measurements``.
    measurements : CalcificationMeasurements
        Supplies the labels, spacing, Feret diameter, area and surround mean.

    Returns
    -------
    ShapeMeasures
    """
    from skimage.morphology import skeletonize

    spacing = measurements.spacing_mm
    offset, boxes = _boxes(labels, measurements)
    rows = []
    areas, ferets, surrounds = (
        getattr(measurements, n).tolist() for n in ("area_mm2", "feret_max_mm", "density_8_mean")
    )
    pixel_mm2 = spacing[0] * spacing[1]
    for index, label in enumerate(measurements.label.tolist()):
        local = boxes[label - 1]
        box = (
            slice(local[0].start + offset[0], local[0].stop + offset[0]),
            slice(local[1].start + offset[1], local[1].stop + offset[1]),
        )
        obj = labels[box] == label
        if areas[index] / pixel_mm2 < MIN_SKELETON_PIXELS:  # a speck: no skeleton worth drawing, no centre
            rows.append((0.0, 0.0, areas[index] / ferets[index], 0.0, _orientation(obj, spacing)))
            continue
        skeleton = skeletonize(obj)
        length = _skeleton_length_mm(skeleton, spacing)
        ends = _end_points(skeleton)
        width = areas[index] / max(length, ferets[index])
        lucency = _lucency(image[box], obj, surrounds[index])
        rows.append((length, ends, width, lucency, _orientation(obj, spacing)))
    table = np.asarray(rows, dtype=np.float64).reshape(len(rows), 5)
    partner = _partners(measurements, table[:, 2], table[:, 4])
    return ShapeMeasures(table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4], partner)


def _boxes(labels: np.ndarray, measurements) -> tuple[tuple[int, int], list]:
    """Bounding boxes of every label, found on the crop around all calcifications (bounded by their centroids plus
    their Feret diameters), not by a pass over the whole mammogram."""
    if len(measurements) == 0:
        return (0, 0), []
    reach = measurements.feret_max_mm / min(measurements.spacing_mm) + 2.0
    r0 = int(max(np.floor(np.min(measurements.centroid_row_px - reach)), 0))
    c0 = int(max(np.floor(np.min(measurements.centroid_col_px - reach)), 0))
    r1 = int(np.ceil(np.max(measurements.centroid_row_px + reach))) + 1
    c1 = int(np.ceil(np.max(measurements.centroid_col_px + reach))) + 1
    return (r0, c0), ndimage.find_objects(labels[r0:r1, c0:c1])


def _skeleton_length_mm(skeleton: np.ndarray, spacing) -> float:
    """Length of a one-pixel skeleton: each 4-neighbour pair counts one step, each diagonal pair not already joined
    through a 4-neighbour counts a diagonal step (in mm per axis)."""
    sr, sc = spacing
    s = skeleton.astype(bool)
    horizontal = np.count_nonzero(s[:, 1:] & s[:, :-1]) * sc
    vertical = np.count_nonzero(s[1:, :] & s[:-1, :]) * sr
    diagonal = np.count_nonzero(s[1:, 1:] & s[:-1, :-1] & ~s[1:, :-1] & ~s[:-1, 1:])
    anti = np.count_nonzero(s[1:, :-1] & s[:-1, 1:] & ~s[1:, 1:] & ~s[:-1, :-1])
    return float(horizontal + vertical + (diagonal + anti) * math.hypot(sr, sc))


def _end_points(skeleton: np.ndarray) -> int:
    """Skeleton pixels with exactly one 8-neighbour on the skeleton."""
    s = np.pad(skeleton.astype(np.uint8), 1)
    if s.sum() < 2:
        return 0
    rows, cols = s.shape
    neighbours = sum(
        s[1 + dr : rows - 1 + dr, 1 + dc : cols - 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc
    )
    return int(np.count_nonzero((s[1:-1, 1:-1] == 1) & (neighbours == 1)))


def _lucency(pixels: np.ndarray, obj: np.ndarray, surround: float) -> float:
    """Relative dip of the centre below the rim: 0 for a solid speck, towards 1 for a hollow shell."""
    if np.count_nonzero(obj) < MIN_LUCENCY_PIXELS or not math.isfinite(surround):
        return 0.0
    depth = ndimage.distance_transform_edt(np.pad(obj, 1))[1:-1, 1:-1]
    centre = depth >= 0.6 * depth.max()
    rim = obj & ~centre
    if not rim.any() or not centre.any():
        return 0.0
    rim_mean, centre_mean = float(pixels[rim].mean()), float(pixels[centre].mean())
    contrast = rim_mean - surround
    return float((rim_mean - centre_mean) / contrast) if contrast > 0 else 0.0


def _orientation(obj: np.ndarray, spacing) -> float:
    """Long-axis direction from the second moments of the pixel positions in mm, atan2(row, col) in [0, pi)."""
    rr, cc = np.nonzero(obj)
    if rr.size < 2:
        return 0.0
    y, x = (rr - rr.mean()) * spacing[0], (cc - cc.mean()) * spacing[1]
    angle = 0.5 * math.atan2(2.0 * float((x * y).mean()), float((x * x).mean() - (y * y).mean()))
    return angle % math.pi


def _partners(measurements, width_mm: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """1.0 for thin elongated objects with a parallel thin elongated neighbour (vessel walls), else 0.0."""
    rods = np.flatnonzero((measurements.aspect_ratio >= 2.5) & (measurements.feret_max_mm >= 0.8))
    partner = np.zeros(len(measurements), dtype=np.float64)
    if rods.size < 2:
        return partner
    points = np.stack([measurements.centroid_x_mm[rods], measurements.centroid_y_mm[rods]], axis=1)
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    turn = np.abs(orientation[rods][:, None] - orientation[rods][None])
    turn = np.degrees(np.minimum(turn, math.pi - turn))
    close = (distance <= PARTNER_DISTANCE_MM) & (turn <= PARALLEL_DEGREES)
    np.fill_diagonal(close, False)
    partner[rods[close.any(axis=1)]] = 1.0
    return partner
