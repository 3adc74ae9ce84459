"""The TID 1500 SR of a compared exam: the current image's measurement report (as ``analyze --dicom`` writes it) with
each cluster's change since the prior exam as a qualitative evaluation of its group
(:data:`~calcification.core.dicom_export.codes.CHANGE_SINCE_PRIOR`). Clusters seen on the prior only (resolved) are
not clusters of the current image: the SR describes the current image, so they are in the change table only."""

from __future__ import annotations

from pathlib import Path

from ...core.dicom_export.provenance import AlgorithmDescription, result_uids
from ...core.dicom_export.structured_report import ReportInputs, build_measurement_report
from ..mrml.scene_storage import atomic_destination
from .dicom_results import SR_SUFFIX, model_checksum, read_source_dataset

#: Mixed into the SR's UIDs, so the comparison's SR is a different object from the one ``analyze --dicom`` stores.
COMPARISON_KEY = "prior-comparison"


def comparison_report_dataset(result, source=None):
    """The SR (pydicom Dataset) of ``result``'s current exam with the change statuses; ``source`` is the current
    image's dataset (read from its file when None; InputError when it is not DICOM)."""
    current = result.current
    source = source if source is not None else read_source_dataset(current.mammogram.source_path)
    method = current.segmentation_method
    model = str(current.segmentation_details.get("model_name", "") or "")
    algorithm = AlgorithmDescription(
        method,
        model_name=model,
        model_checksum=model_checksum(method, model),
        parameters={"spacing_mm": "{:.4f}\\{:.4f}".format(*current.mammogram.spacing_mm)},
    )
    uids = result_uids(source.SOPInstanceUID, algorithm, COMPARISON_KEY)
    changes = {c.current_cluster_id: c.status.value for c in result.comparison.changes if c.current_cluster_id}
    inputs = ReportInputs(
        source, current.analysis, None, current.mammogram.laterality, algorithm, None, cluster_changes=changes
    )
    return build_measurement_report(inputs, uids.sr_series, uids.sr_instance)


def write_comparison_report_dataset(dataset, folder: Path, name: str) -> Path:
    """Write ``<name>.sr.dcm`` into ``folder`` atomically; returns its path."""
    path = Path(folder) / f"{name}{SR_SUFFIX}"
    with atomic_destination(path) as temporary:
        dataset.save_as(temporary, enforce_file_format=True)
    return path
