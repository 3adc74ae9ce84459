"""What every segmentation method returns, whatever it is (detector or network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

#: 8-connectivity: diagonal neighbours belong to the same calcification, as in the network's own object labelling.
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def label_calcifications(mask: np.ndarray) -> np.ndarray:
    """int32 (rows, cols) instance labels 1..n of the 8-connected components of a boolean calcification mask.

    The one rule of what a calcification is once a segmentation is saved (a segment is a mask, so objects that touch
    are one): the analysis measures these, and every count the product prints is theirs.
    """
    from scipy import ndimage  # here, not at the top: `calcification --help` imports this module and stays light

    labels, _ = ndimage.label(np.asarray(mask, dtype=bool), structure=_EIGHT_CONNECTED)
    return labels.astype(np.int32, copy=False)


def count_calcifications(mask: np.ndarray | None) -> int:
    """Number of calcifications of a mask as :func:`label_calcifications` counts them (0 for None)."""
    if mask is None:
        return 0
    from scipy import ndimage

    return int(ndimage.label(np.asarray(mask, dtype=bool), structure=_EIGHT_CONNECTED)[1])


def renumber_labels(labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Instance labels 1..n kept where ``keep[label - 1]`` and renumbered 1..k in their order; 0 elsewhere (int32)."""
    lookup = np.zeros(len(keep) + 1, np.int32)
    lookup[1:][keep] = np.arange(1, int(np.count_nonzero(keep)) + 1, dtype=np.int32)
    return lookup[labels]


def label_centroids(labels: np.ndarray, count: int) -> np.ndarray:
    """Centroids (row, col) in pixel indices of labels 1..``count``, float64 (count, 2); NaN for an absent label.

    The values of ``scipy.ndimage.center_of_mass(np.ones(shape), labels, range(1, count + 1))`` (the same per-label
    sums in the same raster order) from the labelled pixels alone, without three passes over the whole image.
    """
    where = np.flatnonzero(labels)
    ids = labels.ravel()[where]
    rows, cols = np.divmod(where, labels.shape[1])
    pixels = np.bincount(ids, minlength=count + 1)[1 : count + 1].astype(np.float64)
    sums = [np.bincount(ids, axis.astype(np.float64), minlength=count + 1)[1 : count + 1] for axis in (rows, cols)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([sums[0] / pixels, sums[1] / pixels], axis=1)


@dataclass(frozen=True)
class CalcificationSegmentation:
    """Calcifications found on one mammogram.

    Attributes
    ----------
    labels : np.ndarray, int32, shape (rows, cols)
        Instance label image: 0 background, 1..n one calcification each.
    breast : np.ndarray, bool, shape (rows, cols)
        The region that was searched (breast without pectoral muscle).
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm, to measure the labels.
    method : str
        Name of the method that produced it (e.g. ``"hdog"``).
    objects : tuple
        Method-specific per-object records, in label order (e.g. Hessian-DoG candidates).
    details : dict
        Method-specific extras that are not per object (settings used, timings).
    vascular_labels : np.ndarray, int32, shape (rows, cols), or None
        Vascular calcifications (calcified vessel walls), 0 background, 1..m one each; not in ``labels``, so clusters,
        features and the classifier never see them. None when the split was not made.
    """

    labels: np.ndarray
    breast: np.ndarray
    spacing_mm: tuple[float, float]
    method: str
    objects: tuple = ()
    details: dict = field(default_factory=dict)
    vascular_labels: np.ndarray | None = None

    @cached_property
    def vascular_count(self) -> int:
        """Number of vascular calcifications as the saved segmentation holds them (:func:`count_calcifications` of
        the vascular segment; 0 when the split was not made)."""
        return 0 if self.vascular_labels is None else count_calcifications(self.vascular_labels != 0)

    @property
    def mask(self) -> np.ndarray:
        """bool (rows, cols): True on every calcification pixel."""
        return self.labels > 0

    @cached_property
    def count(self) -> int:
        """Number of calcifications as the saved segmentation holds them: the 8-connected components of
        :attr:`mask` (:func:`count_calcifications`), which ``analyze`` measures. A method's own labels may split
        touching objects (Hessian-DoG blobs, ``labels.max()`` of them); the segment file cannot keep them apart."""
        return count_calcifications(self.mask)

    @property
    def total_area_mm2(self) -> float:
        """Summed calcification area in mm²."""
        return float(np.count_nonzero(self.labels)) * self.spacing_mm[0] * self.spacing_mm[1]

    @property
    def breast_area_cm2(self) -> float:
        """Area of the searched region in cm²."""
        return float(np.count_nonzero(self.breast)) * self.spacing_mm[0] * self.spacing_mm[1] / 100.0

    def summary(self) -> str:
        """One line for a status bar or a log, e.g. ``"12 calcifications (3.41 mm²) in 152.0 cm² of breast"``."""
        noun = "calcification" if self.count == 1 else "calcifications"
        vascular = f", {self.vascular_count} vascular" if self.vascular_count else ""
        return (
            f"{self.count} {noun} ({self.total_area_mm2:.2f} mm²){vascular} in {self.breast_area_cm2:.1f} cm² of "
            f"breast [{self.method}]"
        )
