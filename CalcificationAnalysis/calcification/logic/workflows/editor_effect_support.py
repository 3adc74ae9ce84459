"""The array work of the "Calcification trace" Segment Editor effect, kept here so the effect stays thin and this
part is tested without Slicer's GUI.

Inside the Segment Editor an effect sees the source volume as a ``vtkOrientedImageData`` on the segmentation's
grid (``scriptedEffect.sourceVolumeImageData()``) and writes through a modifier labelmap on the same grid
(``scriptedEffect.defaultModifierLabelmap()``), which the editor then combines with the segment applying its own
masking settings (editable intensity range, overwrite rules, mask segment) and undo. Both images may have an
extent that does not start at 0: indices here are absolute IJK, as the editor's ``xyToIjk`` gives them.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..mrml.mrml_imports import numpy_support
from .level_tracing import TracedPatch, TraceOptions, trace_patch


def image_pixels(image) -> tuple[np.ndarray, tuple[int, int]]:
    """(rows, cols) view of the scalars of a single-slice ``vtkImageData`` / ``vtkOrientedImageData`` (no copy)
    and the (j, i) index of its first pixel. A multi-slice image gives its first slice."""
    i0, i1, j0, j1, k0, _ = image.GetExtent()
    values = numpy_support.vtk_to_numpy(image.GetPointData().GetScalars())
    columns, rows = i1 - i0 + 1, j1 - j0 + 1
    return values[: rows * columns].reshape(rows, columns), (j0, i0)


def trace_on_image(image, ijk, options: TraceOptions) -> Optional[TracedPatch]:
    """Outline the object at absolute index ``ijk`` (i = column, j = row) of ``image``; rows/cols of the result are
    absolute indices too. None when ``ijk`` is outside the image (a click beside it does nothing)."""
    pixels, (j0, i0) = image_pixels(image)
    row, col = int(ijk[1]) - j0, int(ijk[0]) - i0
    if not (0 <= row < pixels.shape[0] and 0 <= col < pixels.shape[1]):
        return None
    spacing = image.GetSpacing()
    traced = trace_patch(pixels, row, col, float(min(spacing[0], spacing[1])), options)
    shift = lambda s, offset: slice(s.start + offset, s.stop + offset)  # noqa: E731
    return TracedPatch(
        shift(traced.rows, j0),
        shift(traced.cols, i0),
        traced.mask,
        (traced.peak[0] + j0, traced.peak[1] + i0),
        (traced.seed[0] + j0, traced.seed[1] + i0),
        traced.level,
    )


def fill_modifier_labelmap(labelmap, traced: TracedPatch) -> list[int]:
    """Clear ``labelmap`` (a modifier labelmap on the source image's grid) and set the traced mask into it.

    Returns
    -------
    list of 6 int
        The modified extent (i0, i1, j0, j1, k0, k1), to pass to ``modifySelectedSegmentByLabelmap`` so the editor
        only touches that rectangle.
    """
    pixels, (j0, i0) = image_pixels(labelmap)
    pixels[:] = 0
    rows = slice(traced.rows.start - j0, traced.rows.stop - j0)
    cols = slice(traced.cols.start - i0, traced.cols.stop - i0)
    pixels[rows, cols] = traced.mask
    labelmap.GetPointData().GetScalars().Modified()
    labelmap.Modified()
    k0 = labelmap.GetExtent()[4]
    return [traced.cols.start, traced.cols.stop - 1, traced.rows.start, traced.rows.stop - 1, k0, k0]


def preset_segment_editor_node(editor_node, segmentation_node, volume_node, segment_id: str, intensity_range) -> None:
    """Set up a ``vtkMRMLSegmentEditorNode`` for annotation: segmentation, source volume, selected segment and the
    editable intensity range ``(low, high)`` switched on (what the CalcificationAnalysis panel does before handing
    over to the Segment Editor; see :func:`calcification.core.annotation.intensity_range.
    calcification_intensity_range`)."""
    editor_node.SetAndObserveSegmentationNode(segmentation_node)
    editor_node.SetAndObserveSourceVolumeNode(volume_node)  # "Source" names: Slicer 5.2 and later
    editor_node.SetSelectedSegmentID(segment_id)
    low, high = (float(v) for v in intensity_range)
    editor_node.SetSourceVolumeIntensityMask(True)
    editor_node.SetSourceVolumeIntensityMaskRange(low, high)


def default_intensity_range(volume_node) -> tuple[float, float]:
    """The panel's starting density range for ``volume_node``: from the median of the breast (pectoral muscle left
    out) to the image maximum (:func:`calcification.core.annotation.intensity_range.calcification_intensity_range`).

    Raises
    ------
    InputError
        For a volume that is not a usable mammogram (3D, blank, no breast found).
    """
    from ...core.annotation.intensity_range import calcification_intensity_range
    from ...core.masking.breast_mask import compute_breast_mask
    from ..mrml.volume_nodes import mammogram_from_volume_node

    mammogram = mammogram_from_volume_node(volume_node)
    breast = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
    return calcification_intensity_range(mammogram.pixels, breast)
