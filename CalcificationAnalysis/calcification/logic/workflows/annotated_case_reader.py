"""Read one annotated case (a Slicer scene ``.mrb``, or an image with its ``.seg.nrrd``) into arrays, and the labels
CSV of a dataset, saying precisely what is wrong when something cannot be used for training.

Every failure is a :class:`CaseProblemError` (an :class:`InputError`) carrying a :class:`ProblemKind` and the file at
fault, so :func:`calcification.logic.workflows.annotated_dataset.check_dataset` can list every problem of a dataset in
one report. The calcification mask is read on the segmentation's own reference grid (the pixel grid of the image it was
drawn on, which Slicer stores in the ``.seg.nrrd``); that grid must have the image's size and, where the image file
states one, its pixel spacing. Origins are not compared for file pairs: most image files (PNG, TIFF, DICOM read without
Slicer) carry no origin that both readers agree on, whereas inside a scene the full grid (origin and directions
included) is compared.
"""

from __future__ import annotations

import csv
import enum
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.errors import InputError
from ...core.image import Mammogram
from ...core.io import read_mammogram
from ..mrml.mrml_imports import slicer
from ..mrml.point_annotations import point_annotations
from ..mrml.scene_factory import create_headless_scene
from ..mrml.scene_storage import load_scene_bundle
from ..mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID
from ..mrml.volume_nodes import mammogram_from_volume_node
from .agreement_nodes import load_segmentation_file, mask_on_grid, same_grid

#: Segment names taken as the calcification segment (compared without case).
CALCIFICATION_SEGMENT_NAMES = ("calcification", "calcifications")
#: Relative tolerance when comparing pixel spacings (Slicer writes spacing with limited precision).
SPACING_TOLERANCE = 1e-3


class ProblemKind(str, enum.Enum):
    """What can be wrong with an annotated dataset; the value is what reports and ``--json`` show."""

    MISSING_PATH = "missing_path"
    NO_CASES = "no_cases"
    UNREADABLE_FILE = "unreadable_file"
    MISSING_IMAGE = "missing_image"
    MISSING_SEGMENTATION = "missing_segmentation"
    AMBIGUOUS_FILES = "ambiguous_files"
    MISSING_SEGMENT = "missing_segment"
    EMPTY_SEGMENT = "empty_segment"
    GEOMETRY_MISMATCH = "geometry_mismatch"
    NO_SPACING = "no_spacing"
    BAD_POINTS = "bad_points"
    BAD_LABELS_FILE = "bad_labels_file"
    MISSING_LABEL = "missing_label"
    UNKNOWN_LABEL = "unknown_label"
    MISSING_PATIENT_ID = "missing_patient_id"
    DUPLICATE_CASE = "duplicate_case"


class CaseProblemError(InputError):
    """A case that cannot be used, with the kind of problem and the file at fault."""

    def __init__(self, kind: ProblemKind, file: Optional[Path], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.file = file


class SourceKind(str, enum.Enum):
    """Where a case's annotation lives."""

    SCENE = "scene"  #: a Slicer scene bundle (.mrb) holding the image and the segmentation
    FILES = "files"  #: an image file + ``<name>.seg.nrrd`` (+ optional ``<name>.points.csv``)


@dataclass(frozen=True)
class AnnotatedCase:
    """One case as arrays.

    Attributes
    ----------
    case_id : str
    mammogram : Mammogram
        The image (float32, (rows, cols)) with its pixel spacing in mm.
    mask : np.ndarray, bool, (rows, cols)
        The calcification segment on the image's pixel grid.
    points : np.ndarray, float64, (n, 2)
        Point annotations as (row, col) pixel positions (n = 0 when none).
    """

    case_id: str
    mammogram: Mammogram
    mask: np.ndarray
    points: np.ndarray


def _calcification_segment(segmentation_node, file: Path) -> str:
    segmentation = segmentation_node.GetSegmentation()
    exact = segmentation.GetSegmentIdBySegmentName(CALCIFICATION_SEGMENT_ID)
    if exact:
        return exact
    ids = list(segmentation.GetSegmentIDs())
    names = [segmentation.GetSegment(i).GetName() for i in ids]
    for segment_id, name in zip(ids, names, strict=True):
        if name.strip().lower() in CALCIFICATION_SEGMENT_NAMES:
            return segment_id
    message = (
        f"{file.name} has no segment named "
        f"'{CALCIFICATION_SEGMENT_ID}' (segments: {', '.join(names) or 'none'}); rename the "
        "segment that outlines the calcifications."
    )
    raise CaseProblemError(ProblemKind.MISSING_SEGMENT, file, message)


def _reference_grid(segmentation_node):
    """The segmentation's reference image geometry as an empty vtkOrientedImageData, or None when not stored."""
    geometry = segmentation_node.GetSegmentation().GetConversionParameter(
        slicer.vtkSegmentationConverter.GetReferenceImageGeometryParameterName()
    )
    if not geometry:
        return None
    grid = slicer.vtkOrientedImageData()
    slicer.vtkSegmentationConverter.DeserializeImageGeometry(geometry, grid, False)
    return grid


def _grid_text(grid) -> str:
    columns, rows, _ = grid.GetDimensions()
    col_mm, row_mm, _ = grid.GetSpacing()
    return f"{rows} x {columns} px at {row_mm:g} x {col_mm:g} mm"


def _check_size_and_spacing(grid, mammogram: Mammogram, check_spacing: bool, file: Path) -> None:
    columns, rows, slices = grid.GetDimensions()
    col_mm, row_mm, _ = grid.GetSpacing()
    same_size = (rows, columns) == mammogram.shape and slices == 1
    same_spacing = np.allclose((row_mm, col_mm), mammogram.spacing_mm, rtol=SPACING_TOLERANCE, atol=0)
    if not same_size or (check_spacing and not same_spacing):
        image = (
            f"{mammogram.shape[0]} x {mammogram.shape[1]} px at {mammogram.spacing_mm[0]:g} x "
            f"{mammogram.spacing_mm[1]:g} mm"
        )
        message = (
            f"{file.name} was drawn on a grid of "
            f"{_grid_text(grid)}, but its image has {image}; it belongs to another image, or the "
            "image was resampled after annotating."
        )
        raise CaseProblemError(ProblemKind.GEOMETRY_MISMATCH, file, message)


def _non_empty(mask: np.ndarray, file: Path) -> np.ndarray:
    if not mask.any():
        message = (
            f"The '{CALCIFICATION_SEGMENT_ID}' segment of "
            f"{file.name} is empty; outline the calcifications or leave this case out."
        )
        raise CaseProblemError(ProblemKind.EMPTY_SEGMENT, file, message)
    return mask


def _read_image(path: Path, spacing_mm: Optional[tuple[float, float]]) -> Mammogram:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a missing spacing is reported below as a problem, not a warning
            mammogram = read_mammogram(path, spacing_mm)
    except InputError as exc:
        raise CaseProblemError(ProblemKind.UNREADABLE_FILE, path, str(exc)) from exc
    if spacing_mm is None and not mammogram.spacing_from_file:
        message = (
            f"{path.name} does not state its pixel spacing; give it "
            "(--spacing MM) or save the image as NRRD or DICOM with its spacing."
        )
        raise CaseProblemError(ProblemKind.NO_SPACING, path, message)
    return mammogram


def read_points_csv(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """(n, 2) float (row, col) pixel positions from a ``<name>.points.csv`` (columns ``row`` and ``col``, as
    :func:`calcification.logic.mrml.point_annotations.export_point_annotations` writes).

    Raises
    ------
    CaseProblemError
        Unreadable file, missing columns, non-numbers, or a point outside an image of ``shape`` (rows, cols).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        points = np.array([[float(r["row"]), float(r["col"])] for r in rows], dtype=float).reshape(-1, 2)
    except (OSError, UnicodeDecodeError, KeyError, TypeError, ValueError, csv.Error) as exc:
        message = f"{path.name} is not a point file with numeric 'row' and 'col' columns ({type(exc).__name__}: {exc})."
        raise CaseProblemError(ProblemKind.BAD_POINTS, path, message) from exc
    _check_points_inside(points, shape, path)
    return points


def _check_points_inside(points: np.ndarray, shape: tuple[int, int], file: Path) -> None:
    inside = (points >= -0.5).all(axis=1) & (points[:, 0] < shape[0] - 0.5) & (points[:, 1] < shape[1] - 0.5)
    if not np.isfinite(points).all() or not inside.all():
        message = f"{file.name}: {int((~inside).sum())} point(s) lie outside the {shape[0]} x {shape[1]} image."
        raise CaseProblemError(ProblemKind.BAD_POINTS, file, message)


def read_file_pair(
    case_id: str,
    image: Path,
    segmentation: Path,
    points: Optional[Path] = None,
    spacing_mm: Optional[tuple[float, float]] = None,
) -> AnnotatedCase:
    """Read an image file and its ``.seg.nrrd`` (and optional points CSV) as an :class:`AnnotatedCase`.

    Parameters
    ----------
    spacing_mm : (float, float), optional
        Pixel spacing (row, col) in mm for images that carry none (PNG, TIFF); overrides the file's, and the
        segmentation's spacing is then not compared (Slicer gives such images 1 mm pixels).

    Raises
    ------
    CaseProblemError
        See :class:`ProblemKind`.
    """
    mammogram = _read_image(image, spacing_mm)
    scene = create_headless_scene()
    try:
        try:
            node = load_segmentation_file(scene, segmentation)
        except InputError as exc:
            raise CaseProblemError(ProblemKind.UNREADABLE_FILE, segmentation, str(exc)) from exc
        segment_id = _calcification_segment(node, segmentation)
        grid = _reference_grid(node)
        if grid is None:
            message = (
                f"{segmentation.name} stores no "
                "reference image geometry; save it from Slicer with its source volume set."
            )
            raise CaseProblemError(ProblemKind.GEOMETRY_MISMATCH, segmentation, message)
        _check_size_and_spacing(grid, mammogram, spacing_mm is None, segmentation)
        mask = _non_empty(mask_on_grid(node, grid, segment_id), segmentation)
    finally:
        scene.Clear(1)
    found = read_points_csv(points, mammogram.shape) if points is not None else np.zeros((0, 2))
    return AnnotatedCase(case_id, mammogram, mask, found)


def _nodes(scene, class_name: str) -> list:
    collection = scene.GetNodesByClass(class_name)
    return [collection.GetItemAsObject(i) for i in range(collection.GetNumberOfItems())]


def _scene_nodes(scene, file: Path):
    """(segmentation node, its segment id, volume node) of the scene's calcification annotation."""
    candidates = []
    for node in _nodes(scene, "vtkMRMLSegmentationNode"):
        try:
            candidates.append((node, _calcification_segment(node, file)))
        except CaseProblemError:
            continue
    if len(candidates) != 1:
        kind = ProblemKind.MISSING_SEGMENT if not candidates else ProblemKind.AMBIGUOUS_FILES
        message = (
            f"{file.name} holds {len(candidates)} segmentations with a "
            f"'{CALCIFICATION_SEGMENT_ID}' segment; expected exactly one."
        )
        raise CaseProblemError(kind, file, message)
    segmentation, segment_id = candidates[0]
    volume = segmentation.GetNodeReference(segmentation.GetReferenceImageGeometryReferenceRole())
    if volume is None:
        volumes = [v for v in _nodes(scene, "vtkMRMLScalarVolumeNode") if not v.IsA("vtkMRMLLabelMapVolumeNode")]
        if len(volumes) != 1:
            message = (
                f"{file.name} holds {len(volumes)} image "
                "volumes and the segmentation names none; keep the mammogram only."
            )
            raise CaseProblemError(ProblemKind.AMBIGUOUS_FILES, file, message)
        volume = volumes[0]
    return segmentation, segment_id, volume


def read_scene_bundle(case_id: str, path: Path) -> AnnotatedCase:
    """Read an annotated Slicer scene (one mammogram volume, one segmentation with a calcification segment,
    optional point markups referenced by the segmentation) as an :class:`AnnotatedCase`.

    Raises
    ------
    CaseProblemError
        See :class:`ProblemKind`.
    """
    try:
        scene = load_scene_bundle(path)
    except InputError as exc:
        raise CaseProblemError(ProblemKind.UNREADABLE_FILE, path, str(exc)) from exc
    try:
        segmentation, segment_id, volume = _scene_nodes(scene, path)
        try:
            mammogram = mammogram_from_volume_node(volume)
        except InputError as exc:
            raise CaseProblemError(ProblemKind.UNREADABLE_FILE, path, f"{path.name}: {exc}") from exc
        image_grid = slicer.vtkSlicerSegmentationsModuleLogic.CreateOrientedImageDataFromVolumeNode(volume)
        reference = _reference_grid(segmentation)
        if reference is not None and not same_grid(reference, image_grid):
            message = (
                f"{path.name}: the segmentation was drawn "
                f"on a grid of {_grid_text(reference)} that is not the image's "
                f"({_grid_text(image_grid)}) or lies elsewhere in space."
            )
            raise CaseProblemError(ProblemKind.GEOMETRY_MISMATCH, path, message)
        mask = _non_empty(mask_on_grid(segmentation, image_grid, segment_id), path)
        _, points = point_annotations(segmentation, volume)
        _check_points_inside(points, mammogram.shape, path)
    finally:
        scene.Clear(1)
    return AnnotatedCase(case_id, mammogram, mask, points)


def point_targets(
    shape: tuple[int, int], points: np.ndarray, spacing_mm: tuple[float, float], radius_mm: float
) -> np.ndarray:
    """Discs of ``radius_mm`` around point annotations, as extra calcification targets.

    Marasinou et al. (2023) train on proximity maps around calcification centres so that specks too small to
    outline still teach the network; a filled disc of a fixed physical radius is the binary form of such a map
    (radius about the size of a small calcification, e.g. 0.2 mm). Ellipses in pixels on non-square pixels.

    Parameters
    ----------
    shape : (int, int)
        (rows, cols) of the image.
    points : np.ndarray, float, (n, 2)
        (row, col) pixel positions.
    spacing_mm : (float, float)
        Pixel spacing (row, col) in mm.
    radius_mm : float
        Disc radius in mm (> 0). The pixel nearest each point is always set.

    Returns
    -------
    np.ndarray, bool, (rows, cols)
    """
    if not radius_mm > 0:
        raise InputError(f"The point target radius must be positive, got {radius_mm} mm.")
    out = np.zeros(shape, dtype=bool)
    reach = [int(np.ceil(radius_mm / s)) for s in spacing_mm]
    for row, col in np.asarray(points, float).reshape(-1, 2):
        r0, c0 = int(round(row)), int(round(col))
        rows = np.arange(max(0, r0 - reach[0]), min(shape[0], r0 + reach[0] + 1))
        cols = np.arange(max(0, c0 - reach[1]), min(shape[1], c0 + reach[1] + 1))
        d2 = ((rows[:, None] - row) * spacing_mm[0]) ** 2 + ((cols[None, :] - col) * spacing_mm[1]) ** 2
        out[np.ix_(rows, cols)] |= d2 <= radius_mm**2 * (1 + 1e-9)  # a pixel exactly on the rim is inside
        if 0 <= r0 < shape[0] and 0 <= c0 < shape[1]:
            out[r0, c0] = True
    return out


def read_labels_csv(path: os.PathLike | str) -> dict[str, dict]:
    """``{case: {"patient_id": str, "label": str, "rows": int}}`` from a labels CSV (see module docstring).

    Raises
    ------
    CaseProblemError
        Unreadable file, or no ``case_id``/``case`` column.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [(c or "").strip().lower() for c in (reader.fieldnames or [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CaseProblemError(ProblemKind.BAD_LABELS_FILE, path, f"Cannot read the labels CSV {path}: {exc}.") from exc
    key = next((c for c in ("case_id", "case") if c in columns), None)
    if key is None:
        message = f"The labels CSV {path} needs a 'case_id' (or 'case') column of file stems, 'patient_id', 'label'."
        raise CaseProblemError(ProblemKind.BAD_LABELS_FILE, path, message)
    for number, row in enumerate(rows, start=2):
        if None in row:  # DictReader keeps the extra fields of a too-long row under the key None
            message = (
                f"Row {number} of the labels CSV {path} has {len(columns) + len(row[None])} fields, the header "
                f"{len(columns)}; fix that row (a comma inside a value needs quotes)."
            )
            raise CaseProblemError(ProblemKind.BAD_LABELS_FILE, path, message)
    table: dict[str, dict] = {}
    for row in rows:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        entry = table.setdefault(row[key], {"rows": 0})
        entry.update(patient_id=row.get("patient_id", ""), label=row.get("label", ""), rows=entry["rows"] + 1)
    return table
