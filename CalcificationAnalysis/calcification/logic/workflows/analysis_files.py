"""Headless analysis of mammogram files, as ``calcification analyze`` runs it: per image the segmentation files of
``calcification segment`` plus the tables and the report; over all images a features table (the
``train-classifier`` input form), a summary and, for CC and MLO views of one breast, the breast-level result of
Lin et al. 2023. All or nothing: on any error or cancel no new file is left behind.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from ...core.analysis.report_content import numbered_overview
from ...core.atomic_files import all_or_nothing
from ...core.classification import BreastResult, breast_patient_id, combine_views
from ...core.errors import InputError
from ...core.image import Laterality, View
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.rendering.overlay import save_png
from ...core.reporting.csv_cells import safe_writer
from ...core.segmentation import SegmenterChoice
from ..mrml.scene_storage import atomic_destination
from .analysis_workflow import (
    AnalysisRun,
    ClassifierChoice,
    analyze_segmentation_node,
    export_analysis,
    feature_row,
    resolve_classifier,
    write_feature_rows,
)
from .file_workflow import (
    SegmentedFile,
    check_output_folder,
    new_folder_removed_on_failure,
    prepare_output_folder,
    segment_into_scene,
    write_segmentation_files,
)
from .output_names import unique_name
from .shared_tables import folder_lock, merged_rows

#: Longest side of ``<name>.overlay.png`` (pixels), as ``calcification segment`` draws it.
OVERLAY_SIZE_PX = 2048

#: Columns of ``summary.csv``: one row per image.
SUMMARY_COLUMNS = (
    "case_id",
    "patient_id",
    "laterality",
    "view",
    "calcifications",
    "clusters",
    "calcified_area_mm2",
    "probability",
    "classifier",
)
#: Columns of ``breasts.csv``: one row per breast with at least one CC or MLO view.
BREAST_COLUMNS = (
    "patient_id",
    "laterality",
    "cc_case",
    "mlo_case",
    "cc_probability",
    "mlo_probability",
    "breast_probability",
    "malignant",
    "rule",
    "note",
)


@dataclass(frozen=True)
class AnalyzedFile:
    """One analysed image: its segmentation files, its analysis and the files the analysis wrote."""

    segmented: SegmentedFile
    run: AnalysisRun
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class BreastRow:
    """Breast-level result of one breast (patient id, side L/R) and the images it combines ("" for a missing view)."""

    patient_id: str
    laterality: str
    cc_case: str
    mlo_case: str
    result: BreastResult

    def as_row(self) -> tuple:
        r = self.result
        return (
            self.patient_id,
            self.laterality,
            self.cc_case,
            self.mlo_case,
            _number(r.cc_probability),
            _number(r.mlo_probability),
            _number(r.probability),
            int(r.malignant),
            r.rule.value,
            r.note,
        )


def _number(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class BatchAnalysis:
    """Every image of one ``analyze`` call, the breast-level results and every file written."""

    files: tuple[AnalyzedFile, ...]
    breasts: tuple[BreastRow, ...]
    paths: tuple[Path, ...]


def _segmentation_note(segmented: SegmentedFile) -> str:
    details = segmented.segmentation.details
    note = segmented.segmentation.method
    if details.get("model_name"):
        note += f" (model {details['model_name']})"
    return note


def _model_warnings(segmented: SegmentedFile) -> tuple:
    if segmented.segmentation.details.get("synthetic_training"):
        return (
            f"The segmentation model {segmented.segmentation.details.get('model_name', '')!r} was trained on "
            "synthetic mammograms only; on real images it may miss calcifications or outline other bright structures.",
        )
    return ()


@dataclass(frozen=True)
class _BatchSettings:
    """What every image of one :func:`analyze_files` call shares."""

    out_dir: Path
    segmenter: SegmenterChoice
    spacing_mm: Optional[tuple[float, float]]
    classifier: object  # a loaded classifier, or False for none
    name_from_tags: bool = True  # outputs named after patient, side and view; else after the file


def _analyze_one(image_path, settings: _BatchSettings, progress, written: list, used_names: set) -> AnalyzedFile:
    out_dir, classifier = settings.out_dir, settings.classifier
    stage = sub_progress(progress, 0.0, 0.7)
    segmented_scene = segment_into_scene(
        image_path, settings.segmenter, settings.spacing_mm, stage, settings.name_from_tags
    )
    name = unique_name(segmented_scene.name, used_names)  # before writing: files of one name would overwrite
    if name != segmented_scene.name:
        segmented_scene.volume_node.SetName(name)
        segmented_scene = replace(segmented_scene, name=name)
    prepare_output_folder(out_dir)  # only now: a run refused on its first image creates no folder
    report_progress(progress, 0.7, "Saving the segmentation")
    segmented = write_segmentation_files(segmented_scene, out_dir, written)
    note = _segmentation_note(segmented)
    run = analyze_segmentation_node(
        segmented_scene.scene,
        segmented_scene.volume_node,
        segmented_scene.run.segmentation_node,
        classifier=classifier,
        progress=sub_progress(progress, 0.75, 0.9),
        segmentation_note=note,
        breast=segmented.segmentation.breast,
    )
    report_progress(progress, 0.9, "Writing the tables and the report")
    # The quick-look PNG gets the report's numbered cluster boxes (the segmentation step drew it before clustering).
    save_png(numbered_overview(run.mammogram.pixels, run.analysis, run.breast, OVERLAY_SIZE_PX), segmented.overlay_path)
    paths = export_analysis(run, out_dir, name, extra_warnings=_model_warnings(segmented))
    written.extend(paths)
    return AnalyzedFile(segmented, run, tuple(paths))


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


def _write_rows(path: Path, columns, rows) -> Path:
    with atomic_destination(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = safe_writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _summary_row(analyzed: AnalyzedFile) -> tuple:
    run = analyzed.run
    row = feature_row(run, run.name)
    area = float(sum(run.analysis.measurements.area_mm2))
    probability = _number(run.probability)
    classifier = "" if run.malignancy is None else run.malignancy.classifier_name
    return (
        row["case_id"],
        row["patient_id"],
        row["laterality"],
        row["view"],
        run.calcification_count,
        run.analysis.cluster_count,
        f"{area:.4f}",
        probability,
        classifier,
    )


def _write_batch_tables(out_dir: Path, files, breasts, written: list) -> None:
    """This run's rows of ``files`` merged into the folder's tables (:func:`merge_folder_tables`)."""
    features = [feature_row(f.run, f.run.name) for f in files]
    summary = [dict(zip(SUMMARY_COLUMNS, _summary_row(f), strict=True)) for f in files]
    merge_folder_tables(out_dir, {f.run.name for f in files}, features, summary, breasts, written)


def merge_folder_tables(out_dir: Path, cases: set, features: list, summary: list, breasts, written: list) -> None:
    """``features.csv``, ``summary.csv`` (and ``breasts.csv``): the rows of ``cases`` (feature and summary rows as
    dicts, :class:`BreastRow` records) merged into the folder's tables under a lock on the folder, so runs sharing a
    folder, one process or an archive run, each find every image analysed there exactly once. Paths go to
    ``written``."""
    with folder_lock(out_dir):
        columns = [*features[0]] if features else []
        rows = merged_rows(out_dir / "features.csv", columns, features, cases)
        written.append(write_feature_rows(rows, out_dir / "features.csv"))
        rows = merged_rows(out_dir / "summary.csv", SUMMARY_COLUMNS, summary, cases)
        written.append(_write_rows(out_dir / "summary.csv", SUMMARY_COLUMNS, [list(r.values()) for r in rows]))
        mine = [dict(zip(BREAST_COLUMNS, b.as_row(), strict=True)) for b in breasts]
        keys = {(b.patient_id, b.laterality) for b in breasts}
        earlier = merged_rows(out_dir / "breasts.csv", BREAST_COLUMNS, [], cases, ("cc_case", "mlo_case"))
        rows = [r for r in earlier if (r["patient_id"], r["laterality"]) not in keys] + mine
        if rows:
            written.append(_write_rows(out_dir / "breasts.csv", BREAST_COLUMNS, [list(r.values()) for r in rows]))


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
    settings = _BatchSettings(checked, SegmenterChoice.of(segmenter), spacing_mm, classifier, name_from_tags)
    out_dir = settings.out_dir
    written: list[Path] = []
    used_names: set = set()
    with new_folder_removed_on_failure(out_dir), all_or_nothing():
        files = []
        for index, path in enumerate(paths):
            step = sub_progress(progress, index / len(paths), (index + 1) / len(paths))
            files.append(_analyze_one(path, settings, step, written, used_names))
        breasts = breast_results(files)
        _write_batch_tables(out_dir, files, breasts, written)
    report_progress(progress, 1.0, "Done")
    return BatchAnalysis(tuple(files), tuple(breasts), tuple(written))
