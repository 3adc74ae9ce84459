"""The image-level feature vector of Tong et al. (Front. Oncol. 2024, Pro_UNeXt paper), in the paper's order.

The ``_s`` / ``_m`` / ``_l`` features are COUNTS: the number of calcifications (``clu_Density_*``: clusters) whose
value falls in the small / medium / large bin; the cut points and their reasoning live in :mod:`.feature_bins`.

==================== ===== ======================================================================================
name                 unit  definition
==================== ===== ======================================================================================
calc_num             count number of calcifications
density              image mean over calcifications of their mean intensity (image grey units)
density_32           image mean over calcifications of the mean of their 2.176 mm surround (32 px at 0.068 mm)
density_8            image mean over calcifications of the mean of their 0.544 mm surround (8 px at 0.068 mm)
size_10              count calcifications with area < 0.0462 mm² (10 px at 0.068 mm)
size_10_30           count calcifications with area in [0.0462, 0.1387] mm²
size_30              count calcifications with area > 0.1387 mm² (30 px at 0.068 mm)
calc_area            mm²   summed calcification area
density_l/m/s        count calcifications per contrast-to-noise bin (contrast to the 0.544 mm surround / its std)
length_l/m/s         count calcifications per maximum-Feret-diameter bin (mm)
clu_num              count number of clusters
clu_max_num          count calcifications in the largest cluster (0 without clusters)
clu_max_area         mm²   largest dilated cluster-domain area (0 without clusters)
clu_Density_l/m/s    count clusters per bin of calcifications per cm² of cluster domain
perimeter_s/m/l      count calcifications per perimeter bin (mm)
round_s/m/l          count calcifications per roundness bin (4 pi A / P²)
long_l/m/s           count calcifications per bin of the minimum-area rectangle's long side (mm)
rectangularity_l/m/s count calcifications per rectangularity bin (area / minimum-area rectangle area)
lenratio_l/m/s       count calcifications per aspect-ratio bin (long / short side of the minimum-area rectangle)
==================== ===== ======================================================================================

Means over calcifications skip those whose surround is empty (NaN); a mean over no calcification is 0.
"""

from __future__ import annotations

import numpy as np

from .clusters import CLUSTER_RULE_TEXT, ClusterResult
from .feature_bins import BINS, CutPoints
from .per_calcification import RING_8_MM, RING_32_MM, CalcificationMeasurements

IMAGE_FEATURE_NAMES: tuple[str, ...] = (
    "calc_num",
    "density",
    "density_32",
    "density_8",
    "size_10",
    "size_10_30",
    "size_30",
    "calc_area",
    "density_l",
    "density_m",
    "density_s",
    "length_l",
    "length_m",
    "length_s",
    "clu_num",
    "clu_max_num",
    "clu_max_area",
    "clu_Density_l",
    "clu_Density_m",
    "clu_Density_s",
    "perimeter_s",
    "perimeter_m",
    "perimeter_l",
    "round_s",
    "round_m",
    "round_l",
    "long_l",
    "long_m",
    "long_s",
    "rectangularity_l",
    "rectangularity_m",
    "rectangularity_s",
    "lenratio_l",
    "lenratio_m",
    "lenratio_s",
)

_SIZE_LABELS = {"s": "size_10", "m": "size_10_30", "l": "size_30"}


def image_feature_vector(measurements: CalcificationMeasurements, clusters: ClusterResult) -> dict[str, float]:
    """The paper's 35 image features from per-calcification measurements and clusters.

    Parameters
    ----------
    measurements : CalcificationMeasurements
        From :func:`measure_calcifications` on the image.
    clusters : ClusterResult
        From :func:`find_clusters` on the same label image.

    Returns
    -------
    dict of str to float
        Keys in :data:`IMAGE_FEATURE_NAMES` order; all 0.0 for an empty segmentation.
    """
    values: dict[str, float] = {
        "calc_num": float(len(measurements)),
        "density": _mean(measurements.mean_intensity),
        "density_32": _mean(measurements.density_32_mean),
        "density_8": _mean(measurements.density_8_mean),
        "calc_area": float(np.sum(measurements.area_mm2)),
        "clu_num": float(clusters.count),
        "clu_max_num": float(max((c.count for c in clusters.clusters), default=0)),
        "clu_max_area": float(max((c.area_mm2 for c in clusters.clusters), default=0.0)),
    }
    cluster_density = np.array([c.calcifications_per_cm2 for c in clusters.clusters], dtype=np.float64)
    for prefix, cut in BINS.items():
        column = cluster_density if prefix == "clu_Density" else getattr(measurements, cut.feature)
        for suffix, count in zip("sml", cut.counts(column), strict=True):
            name = _SIZE_LABELS[suffix] if prefix == "size" else f"{prefix}_{suffix}"
            values[name] = float(count)
    return {name: values[name] for name in IMAGE_FEATURE_NAMES}


def _mean(column: np.ndarray) -> float:
    finite = np.asarray(column, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else 0.0


def describe_features() -> dict[str, str]:
    """One plain sentence per image feature (with its unit and bin limits), for table tooltips and reports."""
    described = {
        "calc_num": "Number of calcifications.",
        "density": "Mean calcification intensity (image grey units), averaged over calcifications.",
        "density_32": f"Mean intensity of the tissue within {RING_32_MM:.2f} mm around each calcification "
        "(calcifications excluded), averaged over calcifications.",
        "density_8": f"Mean intensity of the tissue within {RING_8_MM:.2f} mm around each calcification "
        "(calcifications excluded), averaged over calcifications.",
        "calc_area": "Total calcification area (mm²).",
        "clu_num": f"Number of clusters ({CLUSTER_RULE_TEXT}).",
        "clu_max_num": "Number of calcifications in the largest cluster.",
        "clu_max_area": "Area of the largest cluster, calcifications widened by about 1 mm (mm²).",
    }
    for prefix, cut in BINS.items():
        for suffix in "sml":
            name = _SIZE_LABELS[suffix] if prefix == "size" else f"{prefix}_{suffix}"
            described[name] = _describe_bin(prefix, suffix, cut)
    return {name: described[name] for name in IMAGE_FEATURE_NAMES}


#: Per binned feature: (what is counted, how it is measured, words for below / above / between). The sentence reads
#: "<what> <measure> <below> 0.05 mm²", e.g. "Calcifications smaller than 0.05 mm²".
_BIN_SENTENCES = {
    "size": ("Calcifications", "", "smaller than", "larger than", "with an area between"),
    "density": (
        "Calcifications",
        "with a contrast-to-noise ratio ",
        "below",
        "above",
        "with a contrast-to-noise ratio between",
    ),
    "length": ("Calcifications", "", "shorter than", "longer than", "with a largest diameter between"),
    "clu_Density": ("Clusters", "with ", "fewer than", "more than", "with between"),
    "perimeter": ("Calcifications", "with a perimeter ", "shorter than", "longer than", "with a perimeter between"),
    "round": ("Calcifications", "with a roundness ", "below", "above", "with a roundness between"),
    "long": (
        "Calcifications",
        "whose bounding rectangle's long side is ",
        "shorter than",
        "longer than",
        "whose bounding rectangle's long side is between",
    ),
    "rectangularity": ("Calcifications", "filling ", "less than", "more than", "filling between"),
    "lenratio": (
        "Calcifications",
        "with a length-to-width ratio ",
        "below",
        "above",
        "with a length-to-width ratio between",
    ),
}

#: What follows the number, per binned feature (units in words where a bare unit would not say what is measured).
_BIN_TAILS = {
    "length": " (largest diameter)",
    "clu_Density": " calcifications per cm²",
    "rectangularity": " of their bounding rectangle",
    "round": " (1 is a circle)",
}


def _describe_bin(prefix: str, suffix: str, cut: CutPoints) -> str:
    what, measure, below, above, between = _BIN_SENTENCES[prefix]
    unit = "" if cut.unit in ("1", "1/cm²") else f" {cut.unit}"
    tail = _BIN_TAILS.get(prefix, "")
    if suffix == "m":
        tail = "" if prefix == "length" else tail
        return f"{what} {between} {_number(cut.low)} and {_number(cut.high)}{unit}{tail}."
    limit = cut.low if suffix == "s" else cut.high
    return f"{what} {measure}{below if suffix == 's' else above} {_number(limit)}{unit}{tail}."


def _number(value: float) -> str:
    """Cut points for people: at most two decimals, no trailing zeros (0.05, 1.5, 5, 134)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")
