"""The change table: one row per cluster with its status, its numbers on both exams and their differences."""

from __future__ import annotations

import math

import numpy as np

from .matching import ClusterChange

#: column -> (unit, description); the one definition the CSV, its schema, the report and the panel use.
CHANGE_COLUMNS = {
    "status": ("", "new, increased, stable, decreased or resolved since the prior exam"),
    "current_cluster_id": ("", "cluster number in the current exam's analysis (0: no cluster there)"),
    "prior_cluster_id": ("", "cluster number in the prior exam's analysis (0: no cluster there)"),
    "current_count": ("", "calcifications of the cluster on the current exam"),
    "prior_count": ("", "calcifications at the cluster's place on the prior exam"),
    "count_change": ("", "current - prior calcifications"),
    "current_extent_mm": ("mm", "largest distance between two calcification centres, current exam"),
    "prior_extent_mm": ("mm", "largest distance between two calcification centres, prior exam"),
    "extent_change_mm": ("mm", "current - prior extent"),
    "current_area_mm2": ("mm2", "summed calcified area, current exam"),
    "prior_area_mm2": ("mm2", "summed calcified area, prior exam"),
    "area_change_mm2": ("mm2", "current - prior calcified area"),
    "current_x_mm": ("mm", "cluster centre on the current image, column direction"),
    "current_y_mm": ("mm", "cluster centre on the current image, row direction"),
    "prior_x_mm": ("mm", "cluster centre on the prior image, column direction"),
    "prior_y_mm": ("mm", "cluster centre on the prior image, row direction"),
}


def _side(numbers, name: str) -> float:
    return 0.0 if numbers is None else float(getattr(numbers, name))


def change_rows(changes: list[ClusterChange]) -> list[dict]:
    """One dict per change in :data:`CHANGE_COLUMNS` order (absent side: 0 calcifications, 0 mm, 0 mm²)."""
    rows = []
    for change in changes:
        row = {
            "status": change.status.value,
            "current_cluster_id": change.current_cluster_id or 0,
            "prior_cluster_id": change.prior_cluster_id or 0,
        }
        for name, column in (("count", "count"), ("extent_mm", "extent_mm"), ("area_mm2", "area_mm2")):
            stem = column.replace("_mm2", "").replace("_mm", "")
            unit = column[len(stem) :]
            row[f"current_{column}"] = _side(change.current, name)
            row[f"prior_{column}"] = _side(change.prior, name)
            row[f"{stem}_change{unit}"] = change.difference(name)
        row["current_count"], row["prior_count"] = int(row["current_count"]), int(row["prior_count"])
        row["count_change"] = int(row["count_change"])
        row["current_x_mm"], row["current_y_mm"] = change.current_centre_xy_mm
        row["prior_x_mm"], row["prior_y_mm"] = change.prior_centre_xy_mm
        rows.append({name: row[name] for name in CHANGE_COLUMNS})
    return rows


def change_columns(changes: list[ClusterChange]) -> dict[str, np.ndarray]:
    """The change table as column arrays (for :func:`~calcification.core.reporting.table_files.write_table_csv`)."""
    rows = change_rows(changes)
    columns = {}
    for name in CHANGE_COLUMNS:
        values = [row[name] for row in rows]
        if name == "status":
            columns[name] = np.array(values, dtype=object)
        elif name.endswith("_id") or name == "count_change" or name.endswith("_count"):
            columns[name] = np.array(values, dtype=np.int64)
        else:
            columns[name] = np.array([v if math.isfinite(v) else np.nan for v in values], dtype=np.float64)
    return columns
