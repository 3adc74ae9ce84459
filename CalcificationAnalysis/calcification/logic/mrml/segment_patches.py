"""Read and write a small rectangle of a segment without converting the whole image: what makes a click cheap on a
full-field mammogram (tens of megapixels) as on a crop."""

from __future__ import annotations

import numpy as np

from ...core.errors import InputError
from .mrml_imports import numpy_support, slicer, vtk


def _ijk_to_ras(volume_node) -> vtk.vtkMatrix4x4:
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    return matrix


def _same_geometry(image, volume_node) -> bool:
    matrix = vtk.vtkMatrix4x4()
    image.GetImageToWorldMatrix(matrix)
    reference = _ijk_to_ras(volume_node)
    return all(abs(matrix.GetElement(i, j) - reference.GetElement(i, j)) < 1e-6 for i in range(4) for j in range(4))


def read_segment_patch(segmentation_node, segment_id: str, volume_node, rows: slice, cols: slice) -> np.ndarray:
    """Content of segment ``segment_id`` in the rectangle (rows, cols) of ``volume_node``'s grid, bool (copy).

    Raises
    ------
    InputError
        Unknown segment, or a segment stored on another pixel grid than the volume's.
    """
    segment = segmentation_node.GetSegmentation().GetSegment(segment_id)
    if segment is None:
        raise InputError(f"The segmentation '{segmentation_node.GetName()}' has no segment '{segment_id}'.")
    patch = np.zeros((rows.stop - rows.start, cols.stop - cols.start), bool)
    labelmap = segmentation_node.GetBinaryLabelmapInternalRepresentation(segment_id)
    if labelmap is None or labelmap.GetPointData().GetScalars() is None:
        return patch
    i0, i1, j0, j1, _, _ = labelmap.GetExtent()
    if i1 < i0 or j1 < j0:
        return patch
    values = numpy_support.vtk_to_numpy(labelmap.GetPointData().GetScalars()).reshape(j1 - j0 + 1, i1 - i0 + 1)
    if not _same_geometry(labelmap, volume_node):
        if not values.any():  # a new, empty segment has a default grid: nothing to read
            return patch
        raise InputError(
            f"The segment '{segment_id}' is stored on another pixel grid than '{volume_node.GetName()}'; "
            "set the segmentation's geometry from this volume first."
        )
    r0, r1 = max(rows.start, j0), min(rows.stop, j1 + 1)
    c0, c1 = max(cols.start, i0), min(cols.stop, i1 + 1)
    if r0 < r1 and c0 < c1:
        patch[r0 - rows.start : r1 - rows.start, c0 - cols.start : c1 - cols.start] = (
            values[r0 - j0 : r1 - j0, c0 - i0 : c1 - i0] == segment.GetLabelValue()
        )
    return patch


def write_segment_patch(
    segmentation_node, segment_id: str, volume_node, rows: slice, cols: slice, patch: np.ndarray
) -> None:
    """Replace segment ``segment_id`` inside the rectangle (rows, cols) by ``patch``; outside it nothing changes.

    ``MODE_REPLACE`` of ``SetBinaryLabelmapToSegment`` replaces the whole segment by the modifier (whatever extent is
    passed), so the rectangle is set with two merges restricted to its extent: the minimum with ``patch`` clears
    what ``patch`` clears, the maximum sets what it sets; pixels outside the rectangle are never touched.

    Raises
    ------
    InputError
        ``patch`` not of the rectangle's shape, or the segmentation refused the update.
    """
    expected = (rows.stop - rows.start, cols.stop - cols.start)
    if patch.shape != expected:
        raise InputError(f"The patch has shape {patch.shape}; the rectangle is {expected}.")
    image = slicer.vtkOrientedImageData()
    image.SetImageToWorldMatrix(_ijk_to_ras(volume_node))
    image.SetExtent(cols.start, cols.stop - 1, rows.start, rows.stop - 1, 0, 0)
    scalars = numpy_support.numpy_to_vtk(np.ascontiguousarray(patch, dtype=np.uint8).ravel(), deep=True)
    image.GetPointData().SetScalars(scalars)
    logic = slicer.vtkSlicerSegmentationsModuleLogic
    modes = ([] if patch.all() else [logic.MODE_MERGE_MIN]) + ([logic.MODE_MERGE_MAX] if patch.any() else [])
    for mode in modes:
        if not logic.SetBinaryLabelmapToSegment(image, segmentation_node, segment_id, mode, image.GetExtent()):
            raise InputError(f"Could not update segment '{segment_id}'.")
