"""Agreement of two segmentations (two readers) from MRML nodes or ``.seg.nrrd`` files, shown as a table node.

The comparison itself is :func:`calcification.core.annotation.agreement.compare_masks`; here the two segments are
brought onto the same pixel grid (the segmentations' reference image geometry, i.e. the mammogram's grid) and the
match list becomes a ``vtkMRMLTableNode`` whose node attributes carry the image Dice and the senior-reader decision.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.annotation.agreement import AgreementConfig, AgreementReport, compare_masks
from ...core.errors import InputError
from ..mrml.mrml_imports import numpy_support, slicer, vtk
from ..mrml.scene_factory import segmentations_logic_for
from ..mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID
from ..mrml.table_nodes import table_node_from_columns

#: Descriptions and units of the agreement table's columns.
AGREEMENT_DESCRIPTIONS = {
    "label_a": "Component number in reader A's mask (0: not marked by A)",
    "label_b": "Component number in reader B's mask (0: not marked by B)",
    "distance_mm": "Distance between the two centroids",
    "dice": "Dice of the two outlines of this calcification",
    "status": "agree, outline_differs, only_a or only_b",
    "flagged": "1 when the readers disagree on this calcification",
}
AGREEMENT_UNITS = {"area_a_mm2": "mm2", "area_b_mm2": "mm2", "distance_mm": "mm"}


def load_segmentation_file(scene, path: os.PathLike | str, name: Optional[str] = None):
    """Read a segmentation file (``.seg.nrrd``) into a new segmentation node of ``scene``.

    Raises
    ------
    InputError
        Missing or unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    segmentations_logic_for(scene)
    storage = scene.AddNewNodeByClass("vtkMRMLSegmentationStorageNode")
    storage.SetFileName(str(path))
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name or path.name.split(".")[0])
    node.SetAndObserveStorageNodeID(storage.GetID())
    if not storage.ReadData(node) or node.GetSegmentation().GetNumberOfSegments() == 0:
        scene.RemoveNode(node)
        scene.RemoveNode(storage)
        raise InputError(f"{path.name} is not a readable segmentation (expected a Slicer .seg.nrrd with segments).")
    return node


def _reference_grid(segmentation_node):
    """The segmentation's reference image geometry as an empty vtkOrientedImageData (the mammogram's grid)."""
    name = slicer.vtkSegmentationConverter.GetReferenceImageGeometryParameterName()
    geometry = segmentation_node.GetSegmentation().GetConversionParameter(name)
    if not geometry:
        raise InputError(
            f"The segmentation '{segmentation_node.GetName()}' has no reference image geometry; "
            "save it from Slicer with its source volume set."
        )
    image = slicer.vtkOrientedImageData()
    slicer.vtkSegmentationConverter.DeserializeImageGeometry(geometry, image, False)
    return image


def same_grid(a, b) -> bool:
    """True when two ``vtkOrientedImageData`` share extent and image-to-world matrix (to 1e-4 mm)."""
    matrix_a, matrix_b = vtk.vtkMatrix4x4(), vtk.vtkMatrix4x4()
    a.GetImageToWorldMatrix(matrix_a)
    b.GetImageToWorldMatrix(matrix_b)
    close = all(abs(matrix_a.GetElement(i, j) - matrix_b.GetElement(i, j)) < 1e-4 for i in range(4) for j in range(4))
    return close and tuple(a.GetExtent()) == tuple(b.GetExtent())


def _segment_ids(segmentation_node, segment_id: Optional[str]) -> list[str]:
    segmentation = segmentation_node.GetSegmentation()
    if segment_id is not None:
        if segmentation.GetSegment(segment_id) is None:
            raise InputError(f"The segmentation '{segmentation_node.GetName()}' has no segment '{segment_id}'.")
        return [segment_id]
    calcification = segmentation.GetSegmentIdBySegmentName(CALCIFICATION_SEGMENT_ID)
    return [calcification] if calcification else list(segmentation.GetSegmentIDs())


def mask_on_grid(segmentation_node, reference, segment_id: Optional[str] = None) -> np.ndarray:
    """Bool (rows, cols) mask of a segment on ``reference``'s grid; without ``segment_id`` the "Calcification"
    segment, or the union of all segments when there is none of that name."""
    columns, rows, slices = reference.GetDimensions()
    if slices != 1:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' is 3D ({slices} slices); expected 2D.")
    mask = np.zeros((rows, columns), bool)
    for sid in _segment_ids(segmentation_node, segment_id):
        labelmap, resampled = slicer.vtkOrientedImageData(), slicer.vtkOrientedImageData()
        segmentation_node.GetBinaryLabelmapRepresentation(sid, labelmap)
        if labelmap.GetPointData().GetScalars() is None:
            continue  # an empty segment
        slicer.vtkOrientedImageDataResample.ResampleOrientedImageToReferenceOrientedImage(
            labelmap, reference, resampled, False, True
        )
        scalars = resampled.GetPointData().GetScalars()
        if scalars is not None:
            mask |= numpy_support.vtk_to_numpy(scalars).reshape(rows, columns) != 0
    return mask


def compare_segmentation_nodes(
    segmentation_a,
    segmentation_b,
    segment_a: Optional[str] = None,
    segment_b: Optional[str] = None,
    config: Optional[AgreementConfig] = None,
) -> AgreementReport:
    """Compare two readers' segmentations of the same mammogram (see :func:`compare_masks`).

    Raises
    ------
    InputError
        When the two segmentations were not drawn on the same image grid.
    """
    grid_a, grid_b = _reference_grid(segmentation_a), _reference_grid(segmentation_b)
    if not same_grid(grid_a, grid_b):
        raise InputError(
            f"'{segmentation_a.GetName()}' and '{segmentation_b.GetName()}' were not drawn on the same image "
            "(their pixel grids differ): compare two readings of one mammogram."
        )
    spacing_col, spacing_row, _ = grid_a.GetSpacing()
    mask_a = mask_on_grid(segmentation_a, grid_a, segment_a)
    mask_b = mask_on_grid(segmentation_b, grid_a, segment_b)
    return compare_masks(mask_a, mask_b, (spacing_row, spacing_col), config or AgreementConfig())


def agreement_table_node(scene, report: AgreementReport, name: str = "Reader agreement"):
    """A table node with one row per calcification (see :meth:`AgreementReport.columns`); attributes
    ``Calcification.Dice`` and ``Calcification.NeedsSeniorReader`` ("true"/"false") hold the image result."""
    node = table_node_from_columns(scene, name, report.columns(), AGREEMENT_DESCRIPTIONS, AGREEMENT_UNITS)
    node.SetAttribute("Calcification.Dice", f"{report.dice:.6f}")
    node.SetAttribute("Calcification.NeedsSeniorReader", str(report.needs_senior_reader).lower())
    return node
