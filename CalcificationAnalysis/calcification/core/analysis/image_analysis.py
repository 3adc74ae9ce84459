"""Measure every calcification of a mask, group them into clusters and form the image feature vector (Tong et al.,
Front. Oncol. 2024), in one call that the Slicer logic, the ``analyze`` command and classifier training all share,
so that the features a classifier was trained on are computed exactly as at analysis time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..features import (
    CalcificationMeasurements,
    ClusterResult,
    attach_cluster_ids,
    find_clusters,
    image_feature_vector,
    measure_calcifications,
)
from ..image import validate_spacing_mm
from ..segmentation.result import label_calcifications

__all__ = ["ImageAnalysis", "analyze_mask", "label_calcifications"]


@dataclass(frozen=True)
class ImageAnalysis:
    """Features of one mammogram's calcifications.

    Attributes
    ----------
    labels : np.ndarray, int32 (rows, cols)
        Instance labels the measurements were made on (0 background).
    measurements : CalcificationMeasurements
        One row per calcification, with its cluster id (-1 outside clusters).
    clusters : ClusterResult
        Dilation clusters (Tong et al.: 1.088 mm element, more than 5 calcifications).
    features : dict str -> float
        The 35 image features in :data:`calcification.core.features.IMAGE_FEATURE_NAMES` order.
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm.
    breast_area_cm2 : float or None
        Area of the breast region searched, when it was given.
    vascular_labels : np.ndarray, int32 (rows, cols), or None
        Vascular calcifications (calcified vessel walls), measured apart: in no cluster, not in the features.
    vascular : CalcificationMeasurements or None
        Their measurements (cluster id -1), when a vascular mask was given.
    """

    labels: np.ndarray
    measurements: CalcificationMeasurements
    clusters: ClusterResult
    features: dict
    spacing_mm: tuple[float, float]
    breast_area_cm2: Optional[float] = None
    vascular_labels: Optional[np.ndarray] = None
    vascular: Optional[CalcificationMeasurements] = None

    @property
    def vascular_count(self) -> int:
        return 0 if self.vascular is None else len(self.vascular)

    @property
    def calcification_count(self) -> int:
        return len(self.measurements)

    @property
    def cluster_count(self) -> int:
        return self.clusters.count

    def summary(self) -> str:
        """One line, e.g. ``"14 calcifications (2.31 mm²) in 2 clusters"``."""
        noun = "calcification" if self.calcification_count == 1 else "calcifications"
        area = float(np.sum(self.measurements.area_mm2))
        clusters = "1 cluster" if self.cluster_count == 1 else f"{self.cluster_count} clusters"
        vascular = f"; {self.vascular_count} vascular" if self.vascular_count else ""
        return f"{self.calcification_count} {noun} ({area:.2f} mm²) in {clusters}{vascular}"


def analyze_mask(
    image: np.ndarray,
    mask: np.ndarray,
    spacing_mm: tuple[float, float],
    breast: Optional[np.ndarray] = None,
    vascular_mask: Optional[np.ndarray] = None,
) -> ImageAnalysis:
    """Measure the calcifications of ``mask`` on ``image`` and form the paper's image features.

    Parameters
    ----------
    image : np.ndarray, float (rows, cols)
        The mammogram, bright = dense, in the intensity units the classifier was trained with (the product reads
        every format to float32 with its original grey levels).
    mask : np.ndarray, bool (rows, cols)
        Calcification pixels (a segmentation's "Calcification" segment); its 8-connected components are the
        calcifications. An instance label image is accepted too and is relabelled the same way.
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm.
    breast : np.ndarray, bool (rows, cols), optional
        The breast region, for the breast area in the summary; calcifications outside it are still measured.
    vascular_mask : np.ndarray, bool (rows, cols), optional
        Vascular calcifications (a segmentation's vascular segment): measured for the table, kept out of clusters
        and features. Pixels also in ``mask`` count as vascular.

    Returns
    -------
    ImageAnalysis
        An empty mask gives no rows, no clusters and an all-zero feature vector.

    Raises
    ------
    InputError
        Arrays that are not 2D or differ in shape, a non-finite image, an implausible spacing.
    """
    spacing = validate_spacing_mm(spacing_mm)
    image, mask = np.asarray(image), np.asarray(mask)
    if mask.ndim != 2 or image.shape != mask.shape:
        raise InputError(f"The calcification mask {mask.shape} must be a 2D array of the image's shape {image.shape}.")
    vascular_labels = vascular = None
    if vascular_mask is not None:
        vascular_mask = np.asarray(vascular_mask) != 0
        if vascular_mask.shape != mask.shape:
            raise InputError(f"The vascular mask {vascular_mask.shape} must have the image's shape {mask.shape}.")
        mask = (mask != 0) & ~vascular_mask
        vascular_labels = label_calcifications(vascular_mask)
        vascular = measure_calcifications(image, vascular_labels, spacing)
    labels = label_calcifications(mask != 0)
    clusters = find_clusters(labels, spacing)
    measurements = attach_cluster_ids(measure_calcifications(image, labels, spacing), clusters)
    breast_area = None
    if breast is not None:
        breast = np.asarray(breast, dtype=bool)
        if breast.shape != mask.shape:
            raise InputError(f"The breast mask {breast.shape} must have the image's shape {mask.shape}.")
        breast_area = float(np.count_nonzero(breast)) * spacing[0] * spacing[1] / 100.0
    features = image_feature_vector(measurements, clusters)
    return ImageAnalysis(labels, measurements, clusters, features, spacing, breast_area, vascular_labels, vascular)
