"""The three result tables of an analysed mammogram — image features, calcifications, clusters — as plain columns
with a description and a unit per column. The Slicer table nodes, the CSV files and the HTML report are all made
from these, so the panel, the console and the ``analyze`` command show the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..features import IMAGE_FEATURE_NAMES, describe_features
from ..features.clusters import ClusterMeasurement
from .image_analysis import ImageAnalysis

#: Per-calcification columns shown to users: (name, unit, description). Order is the table's order.
CALCIFICATION_COLUMNS = (
    (
        "label",
        "",
        "Calcification number, one sequence over both kinds: 1..n the calcifications (their values in the "
        "label image), then n+1.. the vascular ones",
    ),
    ("kind", "", "calcification, or vascular (a calcified vessel wall: benign, in no cluster, not in the features)"),
    ("cluster_id", "", "Cluster it belongs to; -1 when it is in no cluster"),
    ("area_mm2", "mm²", "Area"),
    ("perimeter_mm", "mm", "Perimeter (Crofton estimate)"),
    ("roundness", "", "4·pi·area / perimeter², 1 for a disc"),
    ("rect_long_mm", "mm", "Long side of the minimum-area bounding rectangle"),
    ("rect_short_mm", "mm", "Short side of the minimum-area bounding rectangle"),
    ("feret_max_mm", "mm", "Largest diameter (maximum Feret)"),
    ("aspect_ratio", "", "Long / short rectangle side"),
    ("rectangularity", "", "Area / rectangle area"),
    ("perimeter_ratio", "", "Perimeter / rectangle perimeter"),
    ("mean_intensity", "grey", "Mean intensity inside the calcification"),
    ("max_intensity", "grey", "Maximum intensity inside the calcification"),
    ("density_8_mean", "grey", "Mean intensity of the surround within 0.544 mm (the paper's density_8)"),
    ("density_32_mean", "grey", "Mean intensity of the surround within 2.176 mm (the paper's density_32)"),
    ("contrast", "grey", "Mean intensity minus density_8"),
    ("contrast_to_noise", "", "Contrast / standard deviation of the 0.544 mm surround"),
    ("edge_sharpness_per_mm", "1/mm", "Boundary gradient / contrast; larger is crisper"),
    ("centroid_x_mm", "mm", "Centroid, column direction, from the centre of pixel (0, 0)"),
    ("centroid_y_mm", "mm", "Centroid, row direction, from the centre of pixel (0, 0)"),
    ("centroid_row_px", "px", "Centroid row (pixel index)"),
    ("centroid_col_px", "px", "Centroid column (pixel index)"),
)

#: Per-cluster columns: (name, unit, description).
CLUSTER_COLUMNS = (
    ("cluster_id", "", "Cluster number"),
    ("count", "", "Number of calcifications"),
    ("area_mm2", "mm²", "Area of the cluster's dilated domain (1.088 mm element, Tong et al. 2024)"),
    ("calcifications_per_cm2", "1/cm²", "Calcifications per cm² of the domain"),
    ("spread_mm", "mm", "Root-mean-square distance of the members from the cluster centre"),
    ("linearity", "", "0 for a round group, 1 for calcifications on a line"),
    ("shape", "", "Distribution: grouped or linear (linear/segmental pattern)"),
    ("centroid_x_mm", "mm", "Cluster centre, column direction"),
    ("centroid_y_mm", "mm", "Cluster centre, row direction"),
    ("centroid_row_px", "px", "Cluster centre row (pixel index)"),
    ("centroid_col_px", "px", "Cluster centre column (pixel index)"),
)


@dataclass(frozen=True)
class ResultTable:
    """A table as named columns (1-D arrays of one length) with per-column description and unit."""

    name: str
    columns: dict
    descriptions: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self) -> list[tuple]:
        """Rows as tuples of Python values, in column order."""
        values = [np.asarray(column).tolist() for column in self.columns.values()]
        return list(zip(*values, strict=True))


def image_feature_table(analysis: ImageAnalysis) -> ResultTable:
    """Long form for reading: one row per image feature (feature, value, description), in the paper's order."""
    descriptions = describe_features()
    names = list(IMAGE_FEATURE_NAMES)
    return ResultTable(
        "image features",
        {
            "feature": np.array(names),
            "value": np.array([analysis.features[name] for name in names], dtype=np.float64),
            "description": np.array([descriptions[name] for name in names]),
        },
        {"feature": "Feature name of Tong et al. 2024", "value": "Feature value", "description": "What it measures"},
    )


def _calcification_columns(measurements, kind: str) -> dict:
    return {
        name: np.full(len(measurements), kind) if name == "kind" else np.asarray(getattr(measurements, name))
        for name, _, _ in CALCIFICATION_COLUMNS
    }


def calcification_table(analysis: ImageAnalysis) -> ResultTable:
    """One row per calcification, columns of :data:`CALCIFICATION_COLUMNS`; vascular calcifications follow the
    others, with kind ``vascular``, cluster id -1 and numbers that go on from the others' (n+1, n+2, ...), so a
    number names one row."""
    columns = _calcification_columns(analysis.measurements, "calcification")
    if analysis.vascular is not None and len(analysis.vascular):
        vascular = _calcification_columns(analysis.vascular, "vascular")
        vascular["label"] = np.asarray(vascular["label"]) + len(analysis.measurements)
        columns = {name: np.concatenate([columns[name], vascular[name]]) for name in columns}
    return ResultTable(
        "calcifications",
        columns,
        {name: text for name, _, text in CALCIFICATION_COLUMNS},
        {name: unit for name, unit, _ in CALCIFICATION_COLUMNS if unit},
    )


def _cluster_value(cluster: ClusterMeasurement, name: str):
    value = getattr(cluster, name)
    return value.value if name == "shape" else value


def cluster_table(analysis: ImageAnalysis) -> ResultTable:
    """One row per cluster, columns of :data:`CLUSTER_COLUMNS` (``shape`` as text)."""
    clusters = analysis.clusters.clusters
    columns = {}
    for name, _, _ in CLUSTER_COLUMNS:
        values = [_cluster_value(cluster, name) for cluster in clusters]
        kind = str if name == "shape" else (np.int64 if name in ("cluster_id", "count") else np.float64)
        columns[name] = np.array(values, dtype=kind) if values else np.zeros(0, dtype=kind)
    return ResultTable(
        "clusters",
        columns,
        {name: text for name, _, text in CLUSTER_COLUMNS},
        {name: unit for name, unit, _ in CLUSTER_COLUMNS if unit},
    )


def cluster_boxes(analysis: ImageAnalysis) -> list[tuple[int, int, int, int]]:
    """Inclusive pixel box (row0, col0, row1, col1) around each cluster's members, in cluster order."""
    boxes = []
    slices = ndimage.find_objects(analysis.labels)
    for cluster in analysis.clusters.clusters:
        members = [slices[label - 1] for label in cluster.member_labels if slices[label - 1] is not None]
        boxes.append(
            (
                min(s[0].start for s in members),
                min(s[1].start for s in members),
                max(s[0].stop for s in members) - 1,
                max(s[1].stop for s in members) - 1,
            )
        )
    return boxes
