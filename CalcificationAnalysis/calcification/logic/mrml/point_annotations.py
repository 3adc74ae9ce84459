"""Point annotations: specks too small to outline, kept as markup points with the segmentation and exported.

Marasinou et al. (2023) train on proximity maps built from calcification centres, so a speck that is too small to
trace is still useful as a point. The points live in a ``vtkMRMLMarkupsFiducialNode`` (RAS millimetres, as Slicer
shows and saves markups) referenced by the segmentation node (role :data:`POINTS_REFERENCE_ROLE`), so they are
saved and reloaded with the scene and found again from the segmentation alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...core.errors import InputError
from ...core.reporting.csv_cells import safe_writer
from .mrml_imports import vtk
from .scene_storage import atomic_destination

#: Node reference role from the segmentation node to its point annotations.
POINTS_REFERENCE_ROLE = "calcificationPoints"
#: Columns of the exported point file.
POINT_COLUMNS = ("label", "row", "col", "r_mm", "a_mm", "s_mm")


def _matrix(volume_node, ras_to_ijk: bool) -> vtk.vtkMatrix4x4:
    matrix = vtk.vtkMatrix4x4()
    (volume_node.GetRASToIJKMatrix if ras_to_ijk else volume_node.GetIJKToRASMatrix)(matrix)
    return matrix


def ijk_to_ras(volume_node, row: float, col: float) -> tuple[float, float, float]:
    """RAS position (mm) of pixel (row, col) of a single-slice volume."""
    return tuple(_matrix(volume_node, False).MultiplyPoint((float(col), float(row), 0.0, 1.0))[:3])


def ras_to_pixel(volume_node, ras) -> tuple[float, float]:
    """(row, col) in pixels (not rounded) of RAS point ``ras`` (mm) on a single-slice volume."""
    i, j, _, _ = _matrix(volume_node, True).MultiplyPoint((*map(float, ras[:3]), 1.0))
    return j, i


def point_annotation_node(segmentation_node, create: bool = True):
    """The markup points node of ``segmentation_node`` (created, named and referenced when missing and
    ``create``); None when there is none and ``create`` is False."""
    node = segmentation_node.GetNodeReference(POINTS_REFERENCE_ROLE)
    if node is not None or not create:
        return node
    scene = segmentation_node.GetScene()
    node = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", f"{segmentation_node.GetName()} points")
    node.CreateDefaultDisplayNodes()
    segmentation_node.SetNodeReferenceID(POINTS_REFERENCE_ROLE, node.GetID())
    return node


def add_point_annotation(segmentation_node, volume_node, row: float, col: float, label: str = "") -> int:
    """Add a point at pixel (row, col) of ``volume_node``; returns its index in the markups node.

    Raises
    ------
    InputError
        When the point is outside the image.
    """
    columns, rows, _ = volume_node.GetImageData().GetDimensions()
    if not (-0.5 <= row < rows - 0.5 and -0.5 <= col < columns - 0.5):
        raise InputError(f"The point ({row:g}, {col:g}) is outside the image ({rows} x {columns}).")
    node = point_annotation_node(segmentation_node)
    index = node.AddControlPoint(*ijk_to_ras(volume_node, row, col), label or f"P{node.GetNumberOfControlPoints() + 1}")
    return int(index)


def add_point_annotation_ras(segmentation_node, ras, label: str = "") -> int:
    """Add a point at RAS position ``ras`` (mm), e.g. where a slice view was clicked; returns its index."""
    node = point_annotation_node(segmentation_node)
    name = label or f"P{node.GetNumberOfControlPoints() + 1}"
    return int(node.AddControlPoint(*(float(v) for v in ras[:3]), name))


def point_annotations(segmentation_node, volume_node) -> tuple[list[str], np.ndarray]:
    """Labels and (n, 2) float array of (row, col) pixel positions of the segmentation's points (empty when none)."""
    node = point_annotation_node(segmentation_node, create=False)
    if node is None:
        return [], np.zeros((0, 2))
    labels, positions = [], []
    for index in range(node.GetNumberOfControlPoints()):
        ras = [0.0, 0.0, 0.0]
        node.GetNthControlPointPositionWorld(index, ras)
        labels.append(node.GetNthControlPointLabel(index))
        positions.append(ras_to_pixel(volume_node, ras))
    return labels, np.asarray(positions, float).reshape(-1, 2)


def export_point_annotations(segmentation_node, volume_node, path: os.PathLike | str) -> Path:
    """Write the points as CSV (:data:`POINT_COLUMNS`: label, pixel row/col, RAS mm), atomically; returns the path.

    The file is written even with no points (header only), so "no specks marked" is recorded too.
    """
    path = Path(path)
    labels, positions = point_annotations(segmentation_node, volume_node)
    with atomic_destination(path) as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = safe_writer(handle)
            writer.writerow(POINT_COLUMNS)
            for label, (row, col) in zip(labels, positions, strict=True):
                ras = ijk_to_ras(volume_node, row, col)
                writer.writerow([label, f"{row:.3f}", f"{col:.3f}", *(f"{v:.4f}" for v in ras)])
    return path
