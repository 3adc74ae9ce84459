"""Quantitative calcification features of Tong et al. (Front. Oncol. 2024, Pro_UNeXt paper), in mm and mm².

Typical use::

    measurements = measure_calcifications(image, labels, spacing_mm)
    clusters = find_clusters(labels, spacing_mm)
    measurements = attach_cluster_ids(measurements, clusters)
    vector = image_feature_vector(measurements, clusters)  # IMAGE_FEATURE_NAMES order

Modules: :mod:`.per_calcification` (one row per calcification), :mod:`.clusters` (dilation clusters),
:mod:`.feature_bins` (the only place with the small / medium / large cut points), :mod:`.image_features`
(the 35-feature image vector).
"""

from .clusters import (
    ELEMENT_MM,
    LINEARITY_CUT,
    ClusterMeasurement,
    ClusterResult,
    DistributionShape,
    attach_cluster_ids,
    find_clusters,
)
from .feature_bins import BINS, PAPER_SPACING_MM, CutPoints
from .image_features import IMAGE_FEATURE_NAMES, describe_features, image_feature_vector
from .per_calcification import RING_8_MM, RING_32_MM, CalcificationMeasurements, measure_calcifications

__all__ = [
    "BINS",
    "ELEMENT_MM",
    "IMAGE_FEATURE_NAMES",
    "LINEARITY_CUT",
    "PAPER_SPACING_MM",
    "RING_8_MM",
    "RING_32_MM",
    "CalcificationMeasurements",
    "ClusterMeasurement",
    "ClusterResult",
    "CutPoints",
    "DistributionShape",
    "attach_cluster_ids",
    "describe_features",
    "find_clusters",
    "image_feature_vector",
    "measure_calcifications",
]
