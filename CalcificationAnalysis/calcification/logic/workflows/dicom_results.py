"""The DICOM results of one analysed mammogram: its SEG and TID 1500 SR (built by
:mod:`calcification.core.dicom_export`), from what ``analyze`` computed, and written beside its CSVs as
``<name>.seg.dcm`` and ``<name>.sr.dcm``. Only DICOM sources can have them (they reference the source image)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.dicom_export.provenance import AlgorithmDescription, ResultUids, result_uids
from ...core.dicom_export.segmentation_object import build_segmentation
from ...core.dicom_export.structured_report import ReportInputs, build_measurement_report
from ...core.errors import InputError
from ...core.io.pydicom_versions import check_dicom_writer, save_dicom_file
from ..mrml.scene_storage import atomic_destination

#: File name endings of the two objects.
SEG_SUFFIX, SR_SUFFIX = ".seg.dcm", ".sr.dcm"


@dataclass(frozen=True)
class DicomResults:
    """The SEG and SR of one image (pydicom datasets) and their UIDs."""

    segmentation: object
    report: object
    uids: ResultUids

    @property
    def datasets(self) -> tuple:
        """In store order: the SEG first, since the SR lists it as evidence."""
        return (self.segmentation, self.report)


def model_checksum(method: str, model_name: str) -> str:
    """SHA-256 (hex) identifying the trained part of ``method``: of the fold checksums of a network's card, of the
    filter files' checksums for ``hdog_filtered``; "" when there is no model."""
    if not model_name:
        return ""
    if method == "hdog_filtered":
        from ...core.segmentation.candidate_method import load_filter_cached

        card = load_filter_cached(model_name).card
        parts = [card.sha256, card.context_sha256]
    else:
        from ...core.models.model_store import read_card, resolve_model_folder

        parts = [fold.sha256 for fold in read_card(resolve_model_folder(model_name)).folds]
    return hashlib.sha256("".join(parts).encode("ascii")).hexdigest()


def algorithm_of(analyzed) -> AlgorithmDescription:
    """How the segmentation of ``analyzed`` (an :class:`~.analysis_files.AnalyzedFile`) was made."""
    segmentation = analyzed.segmented.segmentation
    details = segmentation.details
    model_name = str(details.get("model_name", "") or "")
    parameters = {"spacing_mm": "{:.4f}\\{:.4f}".format(*segmentation.spacing_mm)}
    if details.get("threshold") is not None:
        parameters["threshold"] = f"{float(details['threshold']):.4f}"
    return AlgorithmDescription(
        segmentation.method,
        model_name=model_name,
        model_checksum=model_checksum(segmentation.method, model_name),
        parameters=parameters,
    )


def _classifier_key(run) -> str:
    card = None if run.malignancy is None else run.malignancy.card
    return "" if card is None else f"{card.name}|{card.created}"


def read_source_dataset(path: Path):
    """The source image's attributes (pixel data skipped); InputError when ``path`` is not a DICOM image."""
    import pydicom

    try:
        dataset = pydicom.dcmread(str(path), stop_before_pixels=True)
    except Exception as exc:  # the image was read moments ago; anything here means it is not DICOM after all
        raise InputError(f"{path} is not a DICOM file, so no DICOM SEG or SR can reference it.") from exc
    if "SOPInstanceUID" not in dataset or "StudyInstanceUID" not in dataset:
        raise InputError(f"{path} lacks SOP or Study Instance UID; a DICOM SEG or SR cannot reference it.")
    return dataset


def dicom_results_for(analyzed, source=None) -> DicomResults:
    """Build the SEG and SR of ``analyzed`` (an :class:`~.analysis_files.AnalyzedFile` of a DICOM image).

    Parameters
    ----------
    analyzed : AnalyzedFile
    source : pydicom Dataset, optional
        The source image's attributes; read from the analysed file when not given.

    Raises
    ------
    InputError
        The analysed image is not a DICOM file with UIDs, or this Python's highdicom cannot write SEG and SR
        (inside Slicer 5.10: :func:`~calcification.core.io.pydicom_versions.check_dicom_writer`).
    """
    check_dicom_writer()
    run = analyzed.run
    if source is None:
        source = read_source_dataset(run.mammogram.source_path)
    algorithm = algorithm_of(analyzed)
    uids = result_uids(source.SOPInstanceUID, algorithm, _classifier_key(run))
    analysis = run.analysis
    vascular = None if analysis.vascular_labels is None else analysis.vascular_labels > 0
    seg = build_segmentation(source, analysis.labels > 0, vascular, algorithm, uids.seg_series, uids.seg_instance)
    inputs = ReportInputs(source, analysis, run.malignancy, run.mammogram.laterality, algorithm, seg)
    report = build_measurement_report(inputs, uids.sr_series, uids.sr_instance)
    return DicomResults(seg, report, uids)


def write_dicom_results(results: DicomResults, folder: Path, name: str, written: Optional[list] = None) -> list[Path]:
    """Write ``<name>.seg.dcm`` and ``<name>.sr.dcm`` into ``folder`` (each atomically); returns their paths."""
    paths = []
    for dataset, suffix in ((results.segmentation, SEG_SUFFIX), (results.report, SR_SUFFIX)):
        path = Path(folder) / f"{name}{suffix}"
        with atomic_destination(path) as temporary:
            save_dicom_file(dataset, temporary)
        paths.append(path)
        if written is not None:
            written.append(path)
    return paths
