"""The comparison with the prior exam on volume nodes, for the panel and the Python console: both volumes in, the
change table as a ``vtkMRMLTableNode`` out, and for each row the RAS points at which to centre the current and the
prior view. MRML and VTK only (no qt, no slicer.app): runs on ``slicer-core`` and inside Slicer alike."""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

from ...core.comparison.change_table import CHANGE_COLUMNS, change_columns
from ...core.progress import ProgressCallback
from ..errors import InputError
from ..mrml.table_nodes import table_node_from_columns
from ..mrml.volume_nodes import mammogram_from_volume_node
from .prior_comparison import PriorComparison, compare_mammograms

#: Name of the change-table node.
CHANGE_TABLE_NAME = "Changes since the prior exam"


def compare_volume_nodes(
    scene,
    prior_node,
    current_node,
    segmenter=None,
    force_pair: bool = False,
    progress: ProgressCallback = None,
    table_node=None,
    dicom_files: tuple[Optional[os.PathLike | str], Optional[os.PathLike | str]] = (None, None),
):
    """Compare the prior and current mammogram volumes; returns (PriorComparison, change-table node).

    ``table_node`` is refilled when given (a repeated comparison updates the table a view shows). ``dicom_files``:
    the (prior, current) DICOM files the volumes were loaded from, or None, whose tags the pair check reads
    (:func:`with_dicom_exam_tags`). Raises InputError / RegistrationError before anything is added to the scene.
    """
    prior, current = (
        with_dicom_exam_tags(mammogram_from_volume_node(node), path)
        for node, path in zip((prior_node, current_node), dicom_files, strict=True)
    )
    result = compare_mammograms(prior, current, segmenter, force_pair, progress)
    units = {k: u for k, (u, _) in CHANGE_COLUMNS.items()}
    descriptions = {k: d for k, (_, d) in CHANGE_COLUMNS.items()}
    columns = {k: v.tolist() for k, v in change_columns(result.comparison.changes).items()}
    node = table_node_from_columns(scene, CHANGE_TABLE_NAME, columns, descriptions, units, node=table_node)
    return result, node


def with_dicom_exam_tags(mammogram, dicom_file: Optional[os.PathLike | str]):
    """``mammogram`` with the laterality, view, Patient ID and Study Date of ``dicom_file``'s header (the pair check's
    tags, read as the DICOM reader reads them); unchanged when ``dicom_file`` is None. A volume that Slicer's DICOM
    module loaded keeps none of these tags, only the instance UIDs that lead to the file.

    Raises InputError when the file cannot be read as DICOM."""
    if dicom_file is None:
        return mammogram
    import pydicom

    from ...core.io.dicom_reader import read_laterality, read_view

    try:
        dataset = pydicom.dcmread(dicom_file, stop_before_pixels=True)
    except (OSError, pydicom.errors.InvalidDicomError) as error:
        raise InputError(f"Cannot read the DICOM tags of {dicom_file}: {error}") from error
    metadata = {
        **mammogram.metadata,
        "patient_id": str(dataset.get("PatientID", "") or ""),
        "study_date": str(dataset.get("StudyDate", "") or ""),
    }
    return dataclasses.replace(
        mammogram, laterality=read_laterality(dataset), view=read_view(dataset)[0], metadata=metadata
    )


def _ras_of(volume_node, xy_mm) -> tuple[float, float, float]:
    """RAS of the point (x, y) mm from the centre of pixel (0, 0) of ``volume_node``'s single slice."""
    import vtk

    col_mm, row_mm, _ = volume_node.GetSpacing()
    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    ras = matrix.MultiplyPoint((xy_mm[0] / col_mm, xy_mm[1] / row_mm, 0.0, 1.0))
    return (ras[0], ras[1], ras[2])


def change_row_centres(result: PriorComparison, row: int, prior_node, current_node) -> tuple[tuple, tuple]:
    """(current RAS, prior RAS) of change-table row ``row``: where to centre each view (click a row: both views
    jump to the cluster, the prior one to where the registration puts it)."""
    change = result.comparison.changes[row]
    return _ras_of(current_node, change.current_centre_xy_mm), _ras_of(prior_node, change.prior_centre_xy_mm)
