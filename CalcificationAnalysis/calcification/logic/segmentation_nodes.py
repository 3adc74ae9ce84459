"""Segmentation nodes: the "Calcification" segment, and masks in and out of it on the mammogram's pixel grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

import numpy as np

from ..core.errors import InputError
from .mrml_imports import numpy_support, slicer
from .scene_factory import segmentations_logic_for

#: Segment ID and name used for calcifications everywhere (files, scenes, training data).
CALCIFICATION_SEGMENT_ID = "Calcification"
#: Yellow, readable over a grey mammogram.
CALCIFICATION_COLOR = (1.0, 0.85, 0.0)
#: Slicer terminology entry (the string ``vtkSlicerTerminologiesModuleLogic.SerializeTerminologyEntry`` writes):
#: ``context~category~type~type modifier~anatomic context~anatomic region~region modifier``, each code as
#: ``scheme^value^meaning``. Category "Morphologically Altered Structure" (SCT 49755003), type "Calcification"
#: (SCT 18115005, pathologic calcification), no modifier or region. Neither list Slicer ships contains this type
#: (checked in Slicer's SegmentationCategoryTypeModifier-*.json, 2026): the entry names the General Anatomy context
#: that holds the category; Slicer shows and saves such entries with the codes given here.
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

    Parameters
    ----------
    scene : vtkMRMLScene
    volume_node : vtkMRMLScalarVolumeNode
        The mammogram; becomes the reference image geometry (masks are stored on its pixel grid).
    name : str, optional
        Node name; ``"<volume name> calcifications"`` by default.

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
    """Replace the whole content of segment ``segment_id`` by ``mask``.

    Parameters
    ----------
    segmentation_node : vtkMRMLSegmentationNode
    segment_id : str
    mask : np.ndarray, shape (rows, cols)
        Nonzero = inside, on ``volume_node``'s pixel grid (the mammogram's ``pixels`` layout).
    volume_node : vtkMRMLScalarVolumeNode
        Single-slice volume giving the grid (spacing, origin, directions).

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
    """The content of segment ``segment_id`` on ``volume_node``'s pixel grid.

    Returns
    -------
    np.ndarray, bool, shape (rows, cols)
        Exactly the mask given to :func:`set_segment_mask` on the same grid (all False for an empty segment); a
        segment stored on another grid is resampled (nearest neighbour).

    Raises
    ------
    InputError
        When the segment does not exist.
    """
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


def labels_to_segments(
    segmentation_node, labels: np.ndarray, volume_node, names: Optional[Mapping[int, str]] = None
) -> dict[int, str]:
    """Add one segment per nonzero label value of ``labels`` (an integer label image on ``volume_node``'s grid).

    Parameters
    ----------
    segmentation_node : vtkMRMLSegmentationNode
    labels : np.ndarray, integer, shape (rows, cols)
        0 is background; every other value becomes a segment with exactly those pixels.
    volume_node : vtkMRMLScalarVolumeNode
    names : mapping int -> str, optional
        Segment name per label; ``"Label <value>"`` otherwise. A name already used by a segment replaces that
        segment's content.

    Returns
    -------
    dict int -> str
        Label value -> segment ID, in increasing label order.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "biu":
        raise InputError(f"A label image must hold integers, got {labels.dtype}.")
    segmentation = segmentation_node.GetSegmentation()
    segment_ids = {}
    for value in np.unique(labels):
        if value == 0:
            continue
        name = (names or {}).get(int(value), f"Label {int(value)}")
        segment_id = segmentation.GetSegmentIdBySegmentName(name) or segmentation.AddEmptySegment(name, name)
        set_segment_mask(segmentation_node, segment_id, labels == value, volume_node)
        segment_ids[int(value)] = segment_id
    return segment_ids
