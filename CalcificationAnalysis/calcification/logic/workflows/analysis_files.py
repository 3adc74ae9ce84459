"""Headless analysis of mammogram files, as ``calcification analyze`` runs it: per image the segmentation files of
``calcification segment`` plus the tables and the report; over all images a features table (the
``train-classifier`` input form), a summary and, for CC and MLO views of one breast, the breast-level result of
Lin et al. 2023. All or nothing: on any error or cancel no new file is left behind.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.atomic_files import all_or_nothing
from ...core.classification import breast_patient_id, combine_views
from ...core.errors import InputError
from ...core.image import Laterality, View
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.segmentation import SegmenterChoice
from .analysis_workflow import ClassifierChoice, feature_row, resolve_classifier
from .file_workflow import check_output_folder, new_folder_removed_on_failure
from .folder_outputs import (
    SUMMARY_COLUMNS,
    AnalyzedFile,
    BatchSettings,
    BreastRow,
    analyze_one,
    merge_folder_tables,
    summary_row,
)

__all__ = ["AnalyzedFile", "BatchAnalysis", "BreastRow", "analyze_files", "breast_results"]


@dataclass(frozen=True)
class BatchAnalysis:
    """Every image of one ``analyze`` call, the breast-level results and every file written."""

    files: tuple[AnalyzedFile, ...]
    breasts: tuple[BreastRow, ...]
    paths: tuple[Path, ...]


def breast_results(files) -> list[BreastRow]:
    """The breast-level result of every breast with a CC and/or MLO view of known patient and side.

    Views are grouped by :func:`breast_patient_id` of their Patient ID, so IDs that end in the side and view (as in
    CBIS-DDSM) still pair a breast's CC and MLO images.

    Raises
    ------
    InputError
        Two images of the same view of one breast (which one should count?).
    """
    views: dict[tuple[str, str], dict[str, AnalyzedFile]] = defaultdict(dict)
    for analyzed in files:
        mammogram = analyzed.run.mammogram
        patient = breast_patient_id(mammogram.metadata.get("patient_id", ""))
        if not patient or mammogram.laterality is Laterality.UNKNOWN or mammogram.view not in (View.CC, View.MLO):
            continue
        breast = views[(patient, mammogram.laterality.value)]
        if mammogram.view.value in breast:
            raise InputError(
                f"Patient {patient}, side {mammogram.laterality.value} has two {mammogram.view.value} images "
                f"({breast[mammogram.view.value].run.name} and {analyzed.run.name}); analyse them separately."
            )
        breast[mammogram.view.value] = analyzed
    results = []
    for (patient, side), breast in sorted(views.items()):
        cc, mlo = breast.get("CC"), breast.get("MLO")
        if all(v is None or v.run.probability is None for v in (cc, mlo)):
            continue
        result = combine_views(cc and cc.run.probability, mlo and mlo.run.probability)
        results.append(BreastRow(patient, side, cc.run.name if cc else "", mlo.run.name if mlo else "", result))
    return results


def _write_batch_tables(out_dir: Path, files, breasts, written: list) -> None:
    """This run's rows of ``files`` merged into the folder's tables (:func:`merge_folder_tables`)."""
    features = [feature_row(f.run, f.run.name) for f in files]
    summary = [dict(zip(SUMMARY_COLUMNS, summary_row(f), strict=True)) for f in files]
    merge_folder_tables(out_dir, {f.run.name for f in files}, features, summary, breasts, written)


def analyze_files(
    image_paths,
    out_dir: os.PathLike | str,
    segmenter: SegmenterChoice | str | None = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
    classifier: ClassifierChoice = None,
    client=None,
    name_from_tags: bool = True,
) -> BatchAnalysis:
    """Segment every image of ``image_paths`` with ``segmenter`` (the default method when None) and analyse it into
    ``out_dir``.

    With a Dask ``client`` the images run as tasks on its cluster instead, each kept as it finishes, with a manifest
    and resume, and the result is an :class:`~calcification.logic.workflows.archive_run.ArchiveAnalysis`
    (:func:`~calcification.logic.workflows.archive_run.analyze_archive`).

    ``<name>`` is ``<patient>_<side>_<view>`` from the DICOM tags, else the file name (always the file name when
    ``name_from_tags`` is False). Per image: ``.seg.nrrd``, ``.mrb``, ``.overlay.png`` (and ``.probability.nrrd`` for
    networks), ``.features.csv``, ``.calcifications.csv``, ``.clusters.csv`` (with ``.schema.csv``), ``.report.html``.
    Over all: ``features.csv``, ``summary.csv`` and, when CC/MLO views of a breast were given, ``breasts.csv``.

    Raises
    ------
    InputError
        No image, an unusable image, folder or classifier; CancelledError when ``progress``
        returns False. Either way no new file is left in ``out_dir``.
    """
    if client is not None:
        from .archive_run import analyze_archive

        return analyze_archive(
            image_paths, out_dir, segmenter, spacing_mm, classifier, client=client, progress=progress
        )
    paths = [Path(p) for p in image_paths]
    if not paths:
        raise InputError("Give at least one mammogram file to analyse.")
    # Loaded once, and a bad name fails before any long work; False: no classifier (none installed or asked).
    classifier = resolve_classifier(classifier) or False
    checked = check_output_folder(out_dir)
    settings = BatchSettings(checked, SegmenterChoice.of(segmenter), spacing_mm, classifier, name_from_tags)
    out_dir = settings.out_dir
    written: list[Path] = []
    used_names: set = set()
    with new_folder_removed_on_failure(out_dir), all_or_nothing():
        files = []
        for index, path in enumerate(paths):
            step = sub_progress(progress, index / len(paths), (index + 1) / len(paths))
            files.append(analyze_one(path, settings, step, written, used_names))
        breasts = breast_results(files)
        _write_batch_tables(out_dir, files, breasts, written)
    report_progress(progress, 1.0, "Done")
    return BatchAnalysis(tuple(files), tuple(breasts), tuple(written))
