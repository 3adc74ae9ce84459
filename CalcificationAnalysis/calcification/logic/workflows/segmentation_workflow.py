"""Segment the mammogram in a volume node into the "Calcification" segment of a segmentation node.

The whole computation runs before the scene is touched, so a failure or a cancel leaves the scene as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...core.compute_device import run_with_device_fallback
from ...core.errors import InputError
from ...core.progress import ProgressCallback
from ...core.segmentation import CalcificationSegmentation, SegmenterChoice, segment_mammogram
from ..mrml.probability_nodes import probability_volume_node
from ..mrml.segmentation_nodes import (
    VASCULAR_COLOR,
    VASCULAR_SEGMENT_ID,
    VASCULAR_TERMINOLOGY,
    create_calcification_segmentation,
    ensure_calcification_segment,
    ensure_segment,
    set_segment_mask,
)
from ..mrml.volume_nodes import mammogram_from_volume_node


@dataclass(frozen=True)
class SegmentationRun:
    """What :func:`segment_volume_node` produced: the node, the plain-Python result, and a one-line summary."""

    segmentation_node: object
    segmentation: CalcificationSegmentation
    probability_node: object = None

    @property
    def summary(self) -> str:
        return self.segmentation.summary()

    @property
    def calcification_count(self) -> int:
        return self.segmentation.count


def segment_volume_node(
    scene,
    volume_node,
    segmentation_node=None,
    segmenter: SegmenterChoice | str | None = None,
    progress: ProgressCallback = None,
) -> SegmentationRun:
    """Find the calcifications of ``volume_node`` and store them in the "Calcification" segment, and vascular
    calcifications (calcified vessel walls) in the "Vascular calcification" segment when there are any.

    Parameters
    ----------
    scene : vtkMRMLScene
        ``slicer.mrmlScene`` inside Slicer, or a scene from :func:`create_headless_scene`.
    volume_node : vtkMRMLScalarVolumeNode
        A single-slice mammogram.
    segmentation_node : vtkMRMLSegmentationNode, optional
        Receives the segment (replacing its content); a new node is created when None.
    segmenter : SegmenterChoice or str, optional
        Method, model, threshold and device (a method name for its defaults); the default method when None.
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels before the scene is changed.

    Returns
    -------
    SegmentationRun
        Network methods also add the probability map as a volume node (``probability_node``).

    Raises
    ------
    InputError
        Unusable volume (3D, blank, no data), unknown method, or a segmentation node from another scene.
    """
    mammogram = mammogram_from_volume_node(volume_node)
    if segmentation_node is not None and segmentation_node.GetScene() is not scene:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' does not belong to this scene.")
    result = segment_mammogram(mammogram, segmenter, progress)
    if segmentation_node is None:
        segmentation_node = create_calcification_segmentation(scene, volume_node)
    else:
        segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
        if segmentation_node.GetDisplayNode() is None:
            segmentation_node.CreateDefaultDisplayNodes()
    segment_id = ensure_calcification_segment(segmentation_node)
    set_segment_mask(segmentation_node, segment_id, result.mask, volume_node)
    _store_vascular(segmentation_node, result, volume_node)
    probability_node = None
    if "probability" in result.details:
        probability_node = probability_volume_node(scene, volume_node, result.details["probability"])
    return SegmentationRun(segmentation_node, result, probability_node)


def segment_volume_node_with_fallback(
    scene,
    volume_node,
    segmentation_node=None,
    segmenter: SegmenterChoice | str | None = None,
    progress: ProgressCallback = None,
) -> tuple[SegmentationRun, Optional[str]]:
    """:func:`segment_volume_node` with the panel's forgiving device policy: a GPU that is missing or runs out of
    memory gives a CPU result rather than an error (``core.compute_device.run_with_device_fallback``).
    Returns the run and a message saying why the CPU was used, or None."""
    choice = SegmenterChoice.of(segmenter)
    if not choice.spec.takes_device:
        return segment_volume_node(scene, volume_node, segmentation_node, choice, progress), None

    def run(device: str) -> SegmentationRun:
        return segment_volume_node(scene, volume_node, segmentation_node, choice.with_device(device), progress)

    return run_with_device_fallback(run, choice.device)


def _store_vascular(segmentation_node, result: CalcificationSegmentation, volume_node) -> None:
    """Fill the vascular segment (made only when there is something to show; emptied when a rerun finds none)."""
    existing = segmentation_node.GetSegmentation().GetSegmentIdBySegmentName(VASCULAR_SEGMENT_ID)
    if result.vascular_labels is None or (result.vascular_count == 0 and not existing):
        return
    segment_id = ensure_segment(segmentation_node, VASCULAR_SEGMENT_ID, VASCULAR_COLOR, VASCULAR_TERMINOLOGY)
    set_segment_mask(segmentation_node, segment_id, result.vascular_labels > 0, volume_node)
