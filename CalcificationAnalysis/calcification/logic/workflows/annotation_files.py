"""Headless annotation from files, as the ``calcification trace``, ``candidates`` and ``agreement`` commands run it.

Every input is checked before anything is written; outputs go to temporary names renamed into place, so an error
leaves the output folder as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.annotation.agreement import AgreementConfig, AgreementReport
from ...core.annotation.candidate_review import CandidateReview, detect_review_candidates
from ...core.errors import InputError
from ...core.io import read_mammogram
from ...core.progress import ProgressCallback
from ...core.rendering.overlay import render_overlay, save_png
from ...core.reporting.cluster_pictures import close_up_geometry, cluster_close_up
from ...core.reporting.csv_cells import safe_writer
from ..mrml.scene_factory import create_headless_scene
from ..mrml.scene_storage import atomic_destination, save_segmentation
from ..mrml.segmentation_nodes import create_calcification_segmentation, segment_mask
from ..mrml.volume_nodes import volume_node_from_mammogram
from .agreement_nodes import compare_segmentation_nodes, load_segmentation_file
from .file_workflow import prepare_output_folder
from .level_tracing import LevelTracingAnnotator, TraceOptions, TraceResult
from .output_names import output_name

#: Columns of the candidates CSV.
CANDIDATE_COLUMNS = ("rank", "row", "col", "y_mm", "x_mm", "sigma_mm", "area_mm2", "contrast")


@dataclass(frozen=True)
class TracedFile:
    """What ``trace_file`` did: one result per point, the traced area, the files written."""

    results: tuple[TraceResult, ...]
    area_mm2: float
    paths: tuple[Path, ...]


def trace_file(
    image_path: os.PathLike | str,
    points_xy: Sequence[tuple[float, float]],
    out_dir: os.PathLike | str,
    options: Optional[TraceOptions] = None,
    spacing_mm: Optional[tuple[float, float]] = None,
) -> TracedFile:
    """Trace the objects at ``points_xy`` (pixel x = column, y = row, from 0) of a mammogram file into one segment.

    Writes ``OUT/<name>.seg.nrrd`` and ``OUT/<name>.trace.png`` (overlay).

    Raises
    ------
    InputError
        Unreadable image, no point, or a point outside the image (checked before anything is traced or written);
        a point that outlines nothing (background, noise, outside the intensity range), with the reason: an empty
        segmentation is never written.
    """
    mammogram = read_mammogram(image_path, spacing_mm)
    rows, cols = mammogram.shape
    pixels = [(int(round(y)), int(round(x))) for x, y in points_xy]
    if not pixels:
        raise InputError("Give at least one point to trace (--point X,Y).")
    for (x, y), (row, col) in zip(points_xy, pixels, strict=True):
        if not (0 <= row < rows and 0 <= col < cols):
            raise InputError(f"The point x={x:g}, y={y:g} is outside the image ({cols} wide x {rows} high pixels).")
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, mammogram)
    segmentation = create_calcification_segmentation(scene, volume)
    annotator = LevelTracingAnnotator(volume, segmentation)
    results = tuple(annotator.click(row, col, options or TraceOptions()) for row, col in pixels)
    for (x, y), result in zip(points_xy, results, strict=True):
        if result.empty_reason:
            raise InputError(
                f"Nothing traced at x={x:g}, y={y:g}: {result.empty_reason}. Give a point on a calcification (or "
                "search wider with --snap-mm); nothing was written."
            )
    mask = segment_mask(segmentation, annotator.segment_id, volume)
    out_dir = prepare_output_folder(out_dir)
    overlay = traced_close_up(mammogram, mask, pixels)  # drawn before writing, so a drawing error writes nothing
    seg_path = save_segmentation(segmentation, out_dir / f"{output_name(mammogram)}.seg.nrrd")
    try:
        png_path = save_png(overlay, out_dir / f"{output_name(mammogram)}.trace.png")
    except BaseException:
        seg_path.unlink(missing_ok=True)  # both files or neither
        raise
    area = float(mask.sum()) * mammogram.spacing_mm[0] * mammogram.spacing_mm[1]
    return TracedFile(results, area, (seg_path, png_path))


def traced_close_up(mammogram, mask: np.ndarray, points_rc: Sequence[tuple[int, int]]) -> np.ndarray:
    """A magnified close-up around the traced points and outlines (at least 6 mm across, 1 mm scale bar), so the
    traced shape can be judged; the whole image with a dot would show nothing.

    Returns
    -------
    np.ndarray, uint8 (h, w, 3)
    """
    rows, cols = [r for r, _ in points_rc], [c for _, c in points_rc]
    if mask.any():
        traced_rows, traced_cols = np.nonzero(mask)
        rows += [int(traced_rows.min()), int(traced_rows.max())]
        cols += [int(traced_cols.min()), int(traced_cols.max())]
    box = (min(rows), min(cols), max(rows), max(cols))
    geometry = close_up_geometry([box], mammogram.spacing_mm)
    return cluster_close_up(mammogram.pixels, mask, box, None, mammogram.spacing_mm, geometry)


def write_candidates_file(
    image_path: os.PathLike | str,
    out_dir: os.PathLike | str,
    spacing_mm: Optional[tuple[float, float]] = None,
    config=None,
    progress: ProgressCallback = None,
) -> tuple[CandidateReview, tuple[Path, Path]]:
    """Detect the review candidates of a mammogram file; write ``OUT/<name>.candidates.csv`` (highest contrast
    first, :data:`CANDIDATE_COLUMNS`) and ``OUT/<name>.candidates.png`` (candidate and breast outlines)."""
    mammogram = read_mammogram(image_path, spacing_mm)
    out_dir = prepare_output_folder(out_dir)
    detection, breast = detect_review_candidates(mammogram, config, progress)
    review = CandidateReview(detection.candidates)
    csv_path = out_dir / f"{output_name(mammogram)}.candidates.csv"
    with atomic_destination(csv_path) as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = safe_writer(handle)
            writer.writerow(CANDIDATE_COLUMNS)
            row_mm, col_mm = mammogram.spacing_mm
            for rank, c in enumerate(review.candidates, start=1):
                values = (c.row, c.col, c.row * row_mm, c.col * col_mm, c.sigma_mm, c.area_mm2, c.contrast)
                writer.writerow([rank, *(f"{v:.4f}" for v in values)])
    png_path = save_png(
        render_overlay(mammogram.pixels, detection.labels, breast), out_dir / f"{output_name(mammogram)}.candidates.png"
    )
    return review, (csv_path, png_path)


def compare_segmentation_files(
    path_a: os.PathLike | str, path_b: os.PathLike | str, config: Optional[AgreementConfig] = None
) -> AgreementReport:
    """Agreement of two ``.seg.nrrd`` files of the same mammogram (see :func:`compare_segmentation_nodes`)."""
    for path in (path_a, path_b):
        check_segmentation_file(path)
    scene = create_headless_scene()
    node_a = load_segmentation_file(scene, path_a)
    node_b = load_segmentation_file(scene, path_b)
    return compare_segmentation_nodes(node_a, node_b, config=config)


def check_segmentation_file(path: os.PathLike | str) -> None:
    """:class:`InputError` unless ``path`` is a segmentation: an NRRD with Slicer's segment fields (``Segment0_ID``),
    not an image (MRML would read an image's every grey level as a segment and compare those)."""
    import nrrd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.")
    try:
        header = nrrd.read_header(str(path))
    except Exception as exc:  # pynrrd raises NRRDError, ValueError, UnicodeDecodeError ... for other files
        raise InputError(f"{path.name} is not a segmentation (expected a Slicer .seg.nrrd).") from exc
    if "Segment0_ID" not in header:
        raise InputError(
            f"{path.name} is an image or a label map without segments, not a segmentation; give the "
            ".seg.nrrd files of the two readers."
        )


def write_agreement_csv(report: AgreementReport, path: os.PathLike | str) -> Path:
    """Write the match list (:meth:`AgreementReport.columns`) as CSV, atomically."""
    path = Path(path)
    columns = report.columns()
    with atomic_destination(path) as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = safe_writer(handle)
            writer.writerow(columns)
            for values in zip(*columns.values(), strict=True):
                writer.writerow([f"{v:.4f}" if isinstance(v, float) and np.isfinite(v) else v for v in values])
    return path
