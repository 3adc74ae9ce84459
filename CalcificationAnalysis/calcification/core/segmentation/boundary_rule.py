"""Nothing at the breast outline is a calcification unless it looks like one (issue 33): the rule every method's
result passes through (:func:`~.methods.segment_mammogram`).

Real images differ from synthetic ones most at the breast boundary: processed digital images have a bright skin
edge (unsharp masking, peripheral equalisation), film has a dense skin fold and the nipple, and networks trained on
synthetic data outline all of them, which the cluster rule then reports as a "linear" or "segmental" cluster along
the skin. Two rules, on object centroids and the distance to the searched region's edge (the skin line, the
pectoral edge and the image border alike):

1. **Skin band.** An object within :data:`SKIN_BAND_MM` of the edge is dropped unless it is a compact bright speck
   against the breast tissue beside it: peak contrast at least :data:`SKIN_MIN_CNR` robust noise SDs above the
   breast pixels of the ring 2-4 px around it (pixels outside the breast are left out of the ring, so the dark
   air beyond the skin does not make every skin pixel look bright) and an area of at most :data:`SKIN_MAX_AREA_MM2`.
2. **Strung along the contour.** Objects within :data:`CONTOUR_BAND_MM` of the edge are linked when closer than
   :data:`LINK_MM`; a linked group of at least :data:`STRING_MIN_OBJECTS` whose extent along the edge is
   :data:`STRING_RATIO` times or more its spread in distance to the edge follows the contour, and is dropped.

The constants are physical choices (a skin line is 1-2 mm thick; a cluster spans about 1 cm), not fitted to any
development image with calcifications.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .result import CalcificationSegmentation, label_centroids, renumber_labels

#: Band (mm) inside the searched region's edge where only calcification-looking specks are kept.
SKIN_BAND_MM = 2.0
#: Contrast (robust noise SDs of the breast ring) a speck in the skin band needs to be kept.
SKIN_MIN_CNR = 8.0
#: Largest area (mm²) of a speck kept in the skin band.
SKIN_MAX_AREA_MM2 = 1.0
#: Band (mm) in which groups strung along the contour are looked for.
CONTOUR_BAND_MM = 6.0
#: Linking distance (mm) of objects in that band.
LINK_MM = 5.0
#: Smallest group refused as strung along the contour, and its extent-to-depth ratio.
STRING_MIN_OBJECTS = 3
STRING_RATIO = 3.0


def edge_distance_mm(region: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Distance (mm, float32) of every pixel of ``region`` to its edge, the image border counting as edge."""
    padded = np.pad(np.asarray(region, bool), 1)
    return ndimage.distance_transform_edt(padded, sampling=spacing_mm)[1:-1, 1:-1].astype(np.float32)


def _looks_like_calcification(pixels: np.ndarray, region: np.ndarray, centre: tuple[int, int], area_mm2: float) -> bool:
    if area_mm2 > SKIN_MAX_AREA_MM2:
        return False
    r, c = centre
    rows, cols = np.mgrid[-4:5, -4:5]
    radius = np.hypot(rows, cols)
    rr, cc = np.clip(r + rows, 0, pixels.shape[0] - 1), np.clip(c + cols, 0, pixels.shape[1] - 1)
    window, inside = pixels[rr, cc].astype(np.float64), region[rr, cc]
    ring = window[(radius >= 2) & (radius <= 4) & inside]
    if ring.size < 8:
        return False
    background = np.median(ring)
    noise = 1.4826 * np.median(np.abs(ring - background)) or 1e-6
    return bool((window[radius <= 1.5].max() - background) / noise >= SKIN_MIN_CNR)


def _strung_along_contour(points_mm: np.ndarray, depth_mm: np.ndarray) -> np.ndarray:
    """bool per point: member of a linked group in the contour band that follows the contour."""
    out = np.zeros(len(points_mm), bool)
    band = np.flatnonzero(depth_mm < CONTOUR_BAND_MM)
    if band.size < STRING_MIN_OBJECTS:
        return out
    pairs = cKDTree(points_mm[band]).query_pairs(LINK_MM, output_type="ndarray")
    from scipy.sparse import coo_matrix

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(band.size, band.size))
    _, group = connected_components(graph, directed=False)
    for g in np.unique(group):
        members = band[group == g]
        if members.size < STRING_MIN_OBJECTS:
            continue
        extent = np.ptp(points_mm[members], axis=0).max()
        if extent >= STRING_RATIO * (np.ptp(depth_mm[members]) + 0.5):
            out[members] = True
    return out


def apply_boundary_rule(result: CalcificationSegmentation, pixels: np.ndarray) -> CalcificationSegmentation:
    """``result`` without the objects the two rules refuse (labels renumbered, per-object records kept in step);
    ``details["boundary_refused"]`` counts them."""
    labels = np.asarray(result.labels)
    count = int(labels.max()) if labels.size else 0
    if count == 0:
        return dataclasses.replace(result, details={**result.details, "boundary_refused": 0})
    centroids = label_centroids(labels, count)
    present = np.isfinite(centroids[:, 0])
    spacing = np.asarray(result.spacing_mm, float)
    depth = edge_distance_mm(result.breast, result.spacing_mm)
    index = np.round(np.nan_to_num(centroids)).astype(int)
    index = np.clip(index, 0, np.array(labels.shape) - 1)
    depth_at = depth[index[:, 0], index[:, 1]]
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:] * spacing.prod()
    refuse = ~present
    for i in np.flatnonzero(present & (depth_at < SKIN_BAND_MM)):
        refuse[i] = not _looks_like_calcification(pixels, result.breast, tuple(index[i]), areas[i])
    keep = np.flatnonzero(~refuse)
    strung = _strung_along_contour(centroids[keep] * spacing, depth_at[keep])
    refuse[keep[strung]] = True
    details = {**result.details, "boundary_refused": int(np.count_nonzero(refuse & present))}
    if not refuse.any():
        return dataclasses.replace(result, details=details)
    objects = result.objects
    if len(objects) == count:
        objects = tuple(
            dataclasses.replace(o, label=n + 1) if hasattr(o, "label") else o
            for n, o in enumerate(o for o, no in zip(objects, refuse, strict=True) if not no)
        )
    return dataclasses.replace(result, labels=renumber_labels(labels, ~refuse), objects=objects, details=details)
