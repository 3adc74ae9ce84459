"""Level-tracing-assisted annotation: click a calcification, get its outline added to (or erased from) a segment.

The outline comes from Slicer's own level tracing filter (``vtkITKLevelTracingImageFilter``, the one behind the
Segment Editor's "Level tracing" effect): it traces the boundary of the 8-connected region at or above the seed
pixel's value; the contour is filled into a mask. By default the click is first snapped to the brightest pixel
nearby and the seed chosen so the traced level is the half maximum (see :mod:`calcification.core.annotation.
seed_snapping`); ``automatic_level=False`` keeps Slicer's raw behaviour (the clicked value is the level). Like the
Segment Editor's editable intensity range, an optional intensity range then removes pixels outside it. All work
happens in a window around the click, so a click costs the same on a full-field image as on a crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ...core.annotation.edit_history import EditHistory, PatchEdit
from ...core.annotation.seed_snapping import choose_seed
from ...core.errors import InputError
from ..mrml.mrml_imports import numpy_support, vtk, vtkITKLevelTracingImageFilter
from ..mrml.segment_patches import read_segment_patch, write_segment_patch
from ..mrml.segmentation_nodes import ensure_calcification_segment


@dataclass(frozen=True)
class TraceOptions:
    """How a click is turned into an outline (sizes in mm).

    snap_radius_mm: the click moves to the brightest pixel within this radius (0: no snapping).
    window_mm: side of the square around the click that is traced; larger objects are cut at its edge.
    automatic_level: automatic level (True) or the clicked pixel's value as in Slicer (False).
    level_fraction: automatic level = background + fraction x (peak - background); 0.5 is the half maximum, 0.3
        (default) follows a calcification's footprint better (see :mod:`calcification.core.annotation.seed_snapping`).
    intensity_range: (low, high) in image units; traced pixels outside it are dropped. None: no range.
    erase: remove the traced region from the segment instead of adding it.
    """

    snap_radius_mm: float = 0.3
    window_mm: float = 6.0
    automatic_level: bool = True
    level_fraction: float = 0.3
    intensity_range: Optional[tuple[float, float]] = None
    erase: bool = False


@dataclass(frozen=True)
class TraceResult:
    """What one click did: the seed and level used and the number of segment pixels that changed; ``empty_reason``
    says why the click outlined nothing ("" when it outlined something, even if that was already in the segment)."""

    peak: tuple[int, int]
    seed: tuple[int, int]
    level: float
    changed_pixels: int
    empty_reason: str = ""


def trace_region(window: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """Run Slicer's level tracing filter on ``window`` (float, rows x cols) from ``seed`` (row, col) and return the
    filled contour as a bool mask of the window's shape (empty when the filter traces nothing).

    The window is padded with a one-pixel frame darker than any of its pixels: a region reaching the window's (or
    the image's) edge then still has a closed boundary for the filter to follow.
    """
    framed = np.pad(np.asarray(window, dtype=np.float32), 1, constant_values=float(np.min(window)) - 1.0)
    image = vtk.vtkImageData()
    image.SetDimensions(framed.shape[1], framed.shape[0], 1)
    image.GetPointData().SetScalars(numpy_support.numpy_to_vtk(framed.ravel(), deep=True))
    tracer = vtkITKLevelTracingImageFilter()
    tracer.SetInputData(image)
    tracer.SetPlaneToIJ()
    tracer.SetSeed(int(seed[1]) + 1, int(seed[0]) + 1, 0)
    tracer.Update()
    points = tracer.GetOutput().GetPoints()
    mask = np.zeros(framed.shape, bool)
    if points is None or points.GetNumberOfPoints() == 0:
        return mask[1:-1, 1:-1]
    xyz = numpy_support.vtk_to_numpy(points.GetData())
    rows, cols = np.round(xyz[:, 1]).astype(int), np.round(xyz[:, 0]).astype(int)
    # scikit-image is imported here, not at the top: the Segment Editor imports this module (TraceOptions) when it
    # initialises its effects, before the user has been asked to install scikit-image.
    from skimage.draw import polygon as fill_polygon

    inside_r, inside_c = fill_polygon(rows, cols, shape=framed.shape)
    mask[inside_r, inside_c] = True
    mask[np.clip(rows, 0, framed.shape[0] - 1), np.clip(cols, 0, framed.shape[1] - 1)] = True  # the contour pixels
    return mask[1:-1, 1:-1]


def _pixels(volume_node) -> np.ndarray:
    """Read-only (rows, cols) view of a single-slice volume's voxels (no copy)."""
    image = volume_node.GetImageData()
    if image is None or image.GetPointData().GetScalars() is None:
        raise InputError(f"The volume '{volume_node.GetName()}' has no image data.")
    columns, rows, slices = image.GetDimensions()
    if slices != 1:
        raise InputError(f"The volume '{volume_node.GetName()}' has {slices} slices; annotate a 2D mammogram.")
    return numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()).reshape(rows, columns)


@dataclass(frozen=True)
class TracedPatch:
    """The outline of one click, before it is written anywhere: ``mask`` (bool) covers image rows ``rows`` and
    columns ``cols``; ``peak``, ``seed`` (row, col) are in image pixels; ``level`` in image units."""

    rows: slice
    cols: slice
    mask: np.ndarray
    peak: tuple[int, int]
    seed: tuple[int, int]
    level: float
    empty_reason: str = ""  # why ``mask`` is empty, in words a user can act on; "" when it is not


def _empty_reason(traceable: bool, traced: np.ndarray, kept: np.ndarray, options: TraceOptions, peak_xy) -> str:
    """Why a click outlined nothing (see :class:`TracedPatch`): "" when ``kept`` (the outline after the intensity
    range) has pixels. ``traced`` is the outline before the range; ``peak_xy`` the snapped peak (x, y) in pixels."""
    if kept.any():
        return ""
    within = f"within {options.snap_radius_mm:g} mm"
    if traced.any():
        low, high = options.intensity_range
        return f"its outline lies outside the intensity range {low:g}-{high:g}"
    if not options.automatic_level:
        return "Slicer's rule (the clicked value as the level) traced no region there"
    if not traceable:
        return f"nothing {within} is brighter than its surroundings"
    x, y = peak_xy
    return (
        f"the brightest pixel {within} (x={x}, y={y}) stands out from the local background as a single pixel: "
        "noise, not a calcification"
    )


def trace_patch(pixels: np.ndarray, row: int, col: int, pixel_mm: float, options: TraceOptions) -> TracedPatch:
    """Outline the object at (row, col) of ``pixels`` (rows x cols, any numeric dtype; only a window around the click
    is read), with the click snapped and the level chosen as ``options`` say (see the module docstring).

    Used by :class:`LevelTracingAnnotator` and by the Segment Editor effect, which hands the mask to the editor so
    its own masking (editable intensity range, overwrite rules) and undo apply.

    Raises
    ------
    InputError
        When (row, col) is outside ``pixels``.
    """
    if not (0 <= row < pixels.shape[0] and 0 <= col < pixels.shape[1]):
        raise InputError(f"The click ({row}, {col}) is outside the image ({pixels.shape[0]} x {pixels.shape[1]}).")
    half = max(2, int(round(options.window_mm / 2 / pixel_mm)))
    rows = slice(max(row - half, 0), min(row + half + 1, pixels.shape[0]))
    cols = slice(max(col - half, 0), min(col + half + 1, pixels.shape[1]))
    window = np.asarray(pixels[rows, cols], dtype=np.float32)
    local = (row - rows.start, col - cols.start)
    traceable = True
    if options.automatic_level:
        snap_px = options.snap_radius_mm / pixel_mm
        choice = choose_seed(window, *local, snap_px, (2.0 * snap_px + 2, 3.0 * snap_px + 4), options.level_fraction)
        peak, seed, level, traceable = choice.peak, choice.seed, choice.level, choice.traceable
        # Flat background (nothing brighter than its surroundings): nothing to outline.
        traced = trace_region(window, seed) if traceable else np.zeros(window.shape, bool)
    else:
        peak = seed = local
        level = float(window[local])
        traced = trace_region(window, seed)
    mask = traced
    if options.intensity_range is not None:
        low, high = options.intensity_range
        mask = traced & (window >= low) & (window <= high)
    origin = (rows.start, cols.start)
    peak, seed = (origin[0] + peak[0], origin[1] + peak[1]), (origin[0] + seed[0], origin[1] + seed[1])
    reason = _empty_reason(traceable, traced, mask, options, (peak[1], peak[0]))
    return TracedPatch(rows, cols, mask, peak, seed, level, reason)


class LevelTracingAnnotator:
    """Click-to-outline annotation of one volume into one segment, with per-click undo and redo.

    Example::

        annotator = LevelTracingAnnotator(volume_node, segmentation_node)
        annotator.click(row=1520, col=880)                      # outline the calcification there
        annotator.click(row=1530, col=900, options=TraceOptions(erase=True))
        annotator.undo()

    A click on background (nothing brighter than its surroundings) or a level that traces nothing changes nothing
    and reports 0 changed pixels and the reason (``TraceResult.empty_reason``); a click outside the image raises
    :class:`InputError`.
    """

    def __init__(self, volume_node, segmentation_node, segment_id: Optional[str] = None) -> None:
        self.volume_node = volume_node
        self.segmentation_node = segmentation_node
        self.segment_id = segment_id or ensure_calcification_segment(segmentation_node)
        self.history = EditHistory()
        col_mm, row_mm, _ = volume_node.GetSpacing()
        self.pixel_mm = float(min(col_mm, row_mm))

    def click_ras(self, ras: tuple[float, float, float], options: TraceOptions = TraceOptions()) -> TraceResult:
        """:meth:`click` at a point given in RAS millimetres (as a slice view reports it)."""
        matrix = vtk.vtkMatrix4x4()
        self.volume_node.GetRASToIJKMatrix(matrix)
        i, j, _, _ = matrix.MultiplyPoint((*ras, 1.0))
        return self.click(int(round(j)), int(round(i)), options)

    def click(self, row: int, col: int, options: TraceOptions = TraceOptions()) -> TraceResult:
        """Outline the object at pixel (row, col) and add it to the segment (or erase it with ``options.erase``)."""
        traced = trace_patch(_pixels(self.volume_node), row, col, self.pixel_mm, options)
        rows, cols = traced.rows, traced.cols
        before = read_segment_patch(self.segmentation_node, self.segment_id, self.volume_node, rows, cols)
        after = before & ~traced.mask if options.erase else before | traced.mask
        if not np.array_equal(before, after):
            edit = PatchEdit(rows, cols, before, after).cropped_to_change()  # write only what changed: cheaper
            self._write(edit.rows, edit.cols, edit.after)
            self.history.record(edit)
        return TraceResult(traced.peak, traced.seed, traced.level, int((before != after).sum()), traced.empty_reason)

    def undo(self) -> bool:
        """Revert the last click exactly; False when there is nothing to undo."""
        if not self.history.can_undo:
            return False
        edit = self.history.pop_undo()
        write_segment_patch(
            self.segmentation_node, self.segment_id, self.volume_node, edit.rows, edit.cols, edit.before
        )
        return True

    def redo(self) -> bool:
        """Re-apply the last undone click; False when there is nothing to redo."""
        if not self.history.can_redo:
            return False
        edit = self.history.pop_redo()
        self._write(edit.rows, edit.cols, edit.after)
        return True

    def _write(self, rows: slice, cols: slice, patch: np.ndarray) -> None:
        write_segment_patch(self.segmentation_node, self.segment_id, self.volume_node, rows, cols, patch)
