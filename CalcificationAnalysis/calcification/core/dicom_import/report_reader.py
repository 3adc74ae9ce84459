"""The cluster measurements of one of the product's TID 1500 SRs, as table columns (highdicom).

The SR holds one Planar ROI measurement group per cluster (tracking identifier ``cluster N``, see
:func:`~calcification.core.dicom_export.structured_report.cluster_group_id`) with its numeric measurements and its
distribution (a qualitative evaluation). Reference: DICOM PS3.16 TID 1500 / TID 1410; highdicom's
``MeasurementReport.get_planar_roi_measurement_groups`` (highdicom 0.22 to 0.28).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ..errors import InputError

#: Column holding the tracking identifier of each row.
GROUP_COLUMN = "group"


@dataclass(frozen=True)
class ReportTable:
    """Cluster rows of an SR: ``columns`` maps a column title (concept meaning, with the unit in brackets) to one
    value per row, in the SR's order; numbers are floats exactly as stored (FD), evaluations their code meanings."""

    source_sop_instance_uids: tuple
    columns: dict


def _column_title(measurement) -> str:
    unit = measurement.unit.value if measurement.unit is not None else ""
    return f"{measurement.name.meaning} [{unit}]" if unit and unit != "1" else str(measurement.name.meaning)


def _group_row(group) -> dict:
    row = {GROUP_COLUMN: str(group.tracking_identifier)}
    for measurement in group.get_measurements():
        row[_column_title(measurement)] = float(measurement.value)
    for evaluation in group.get_qualitative_evaluations():
        row[str(evaluation.name.meaning)] = str(evaluation.value.meaning)
    return row


def read_cluster_measurements(path: Union[str, Path]) -> ReportTable:
    """Read the cluster measurement groups of a TID 1500 SR.

    Returns
    -------
    ReportTable
        One row per cluster group; a column absent from a row is empty text (numbers: NaN).

    Raises
    ------
    InputError
        Not a readable TID 1500 Comprehensive SR.
    """
    import highdicom as hd
    import pydicom

    try:
        report = hd.sr.ComprehensiveSR.from_dataset(pydicom.dcmread(str(path))).content
        groups = list(report.get_planar_roi_measurement_groups())
    except Exception as error:  # highdicom raises many kinds for an SR of another template
        raise InputError(f"{path} is not a readable TID 1500 measurement report ({error}).") from error
    rows = [_group_row(group) for group in groups if str(group.tracking_identifier).startswith("cluster ")]
    titles = list(dict.fromkeys(title for row in rows for title in row))
    columns = {}
    for title in titles:
        numeric = any(isinstance(row.get(title), float) for row in rows)
        columns[title] = [row.get(title, float("nan") if numeric else "") for row in rows]
    evidence = pydicom.dcmread(str(path), stop_before_pixels=True).get("CurrentRequestedProcedureEvidenceSequence", [])
    sources = tuple(
        str(instance.ReferencedSOPInstanceUID)
        for study in evidence
        for series in study.get("ReferencedSeriesSequence", [])
        for instance in series.get("ReferencedSOPSequence", [])
    )
    return ReportTable(sources, columns)
