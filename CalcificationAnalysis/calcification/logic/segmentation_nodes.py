"""Segmentation nodes: the "Calcification" segment, and masks in and out of it on the mammogram's pixel grid."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.errors import InputError
from .mrml_imports import numpy_support, slicer
from .scene_factory import segmentations_logic_for

#: Segment ID and name used for calcifications everywhere (files, scenes, training data).
CALCIFICATION_SEGMENT_ID = "Calcification"
#: Yellow, readable over a grey mammogram.
CALCIFICATION_COLOR = (1.0, 0.85, 0.0)
#: Slicer terminology entry: category "Morphologically Altered Structure" (SCT 49755003), type "Calcification"
#: (SCT 18115005, calcified structure), in Slicer's "3D Slicer General Anatomy list" format.
CALCIFICATION_TERMINOLOGY = (
    "Segmentation category and type - 3D Slicer General Anatomy list"
    "~SCT^49755003^Morphologically Altered Structure"
    "~SCT^18115005^Calcification"
    "~^^"
    "~Anatomic codes - DICOM master list"
    "~^^"
    "~^^"
)


def create_calcification_segmentation(scene, volume_node, name: Optional[str] = None):
    """Add a segmentation node with an empty "Calcification" segment, on the geometry of ``volume_node``.

    Returns
    -------
    vtkMRMLSegmentationNode
        With display nodes, the reference geometry of ``volume_node`` and the segment ``CALCIFICATION_SEGMENT_ID``
        (terminology, yellow).
    """
    segmentations_logic_for(scene)
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name or f"{volume_node.GetName()} calcifications")
    node.CreateDefaultDisplayNodes()
    node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
    ensure_calcification_segment(node)
    return node


def ensure_calcification_segment(segmentation_node) -> str:
    """Return the ID of the "Calcification" segment of ``segmentation_node``, adding it when missing."""
    segmentation = segmentation_node.GetSegmentation()
    existing = segmentation.GetSegmentIdBySegmentName(CALCIFICATION_SEGMENT_ID)
    if existing:
        return existing
    segment_id = segmentation.AddEmptySegment(CALCIFICATION_SEGMENT_ID, CALCIFICATION_SEGMENT_ID, CALCIFICATION_COLOR)
    segment = segmentation.GetSegment(segment_id)
    segment.SetTerminology(CALCIFICATION_TERMINOLOGY)
    return segment_id


def _labelmap_on_volume_grid(volume_node, mask: np.ndarray):
    """A vtkOrientedImageData with the geometry of ``volume_node`` holding ``mask`` as uint8."""
    labelmap = slicer.vtkSlicerSegmentationsModuleLogic.CreateOrientedImageDataFromVolumeNode(volume_node)
    columns, rows, slices = labelmap.GetDimensions()
    if mask.shape != (rows, columns) or slices != 1:
        raise InputError(
            f"The mask has shape {mask.shape} but the mammogram '{volume_node.GetName()}' has {rows} x {columns} "
            f"pixels in {slices} slice(s)."
        )
    scalars = numpy_support.numpy_to_vtk(np.ascontiguousarray(mask, dtype=np.uint8).ravel(), deep=True)
    labelmap.GetPointData().SetScalars(scalars)
    return labelmap


def set_segment_mask(segmentation_node, segment_id: str, mask: np.ndarray, volume_node) -> None:
    """Replace the content of segment ``segment_id`` by ``mask`` (bool, rows x cols, on ``volume_node``'s grid).

    Raises
    ------
    InputError
        When the segment does not exist or the mask does not match the volume's pixel grid.
    """
    if segmentation_node.GetSegmentation().GetSegment(segment_id) is None:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' has no segment '{segment_id}'.")
    labelmap = _labelmap_on_volume_grid(volume_node, np.asarray(mask) != 0)
    ok = slicer.vtkSlicerSegmentationsModuleLogic.SetBinaryLabelmapToSegment(
        labelmap, segmentation_node, segment_id, slicer.vtkSlicerSegmentationsModuleLogic.MODE_REPLACE
    )
    if not ok:
        raise InputError(f"Could not write the mask into segment '{segment_id}'.")


def segment_mask(segmentation_node, segment_id: str, volume_node) -> np.ndarray:
    """The content of segment ``segment_id`` resampled onto ``volume_node``'s pixel grid, bool (rows, cols)."""
    if segmentation_node.GetSegmentation().GetSegment(segment_id) is None:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' has no segment '{segment_id}'.")
    reference = slicer.vtkSlicerSegmentationsModuleLogic.CreateOrientedImageDataFromVolumeNode(volume_node)
    segment_labelmap = slicer.vtkOrientedImageData()
    segmentation_node.GetBinaryLabelmapRepresentation(segment_id, segment_labelmap)
    resampled = slicer.vtkOrientedImageData()
    slicer.vtkOrientedImageDataResample.ResampleOrientedImageToReferenceOrientedImage(
        segment_labelmap, reference, resampled, False, True
    )
    columns, rows, _ = reference.GetDimensions()
    scalars = resampled.GetPointData().GetScalars()
    if scalars is None:  # an empty segment has an empty labelmap
        return np.zeros((rows, columns), dtype=bool)
    return numpy_support.vtk_to_numpy(scalars).reshape(rows, columns) != 0
