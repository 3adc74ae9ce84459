"""What plain ``analyze`` runs and archive runs share: the analysis of one image into the output folder
(:func:`analyze_one`) and the folder's tables (``features.csv``, ``summary.csv``, ``breasts.csv``) that every run merges
its rows into (:func:`merge_folder_tables`). Both :mod:`.analysis_files` and :mod:`.archive_run` import it, so neither
imports the other's private names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from ...core.analysis.report_content import numbered_overview
from ...core.classification import BreastResult
from ...core.progress import report_progress, sub_progress
from ...core.rendering.overlay import save_png
from ...core.reporting.csv_cells import safe_writer
from ...core.segmentation import SegmenterChoice
from ..mrml.scene_storage import atomic_destination
from .analysis_workflow import (
    FEATURE_COLUMNS,
    AnalysisRun,
    analyze_segmentation_node,
    export_analysis,
    feature_row,
)
from .file_workflow import SegmentedFile, prepare_output_folder, segment_into_scene, write_segmentation_files
from .output_names import unique_name
from .shared_tables import MergedTable, folder_lock, merged_table

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
class BatchSettings:
    """What every image of one :func:`analyze_files` call shares."""

    out_dir: Path
    segmenter: SegmenterChoice
    spacing_mm: Optional[tuple[float, float]]
    classifier: object  # a loaded classifier, or False for none
    name_from_tags: bool = True  # outputs named after patient, side and view; else after the file


def analyze_one(image_path, settings: BatchSettings, progress, written: list, used_names: set) -> AnalyzedFile:
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


def _write_table(path: Path, table: MergedTable) -> Path:
    """Write ``table`` as a CSV, atomically, its cells by column name (formula-like cells neutralised)."""
    with atomic_destination(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = safe_writer(handle)
        writer.writerow(table.columns)
        writer.writerows([row.get(column, "") for column in table.columns] for row in table.rows)
    return path


def summary_row(analyzed: AnalyzedFile) -> tuple:
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


def merge_folder_tables(out_dir: Path, cases: set, features: list, summary: list, breasts, written: list) -> None:
    """``features.csv``, ``summary.csv`` (and ``breasts.csv``): the rows of ``cases`` (feature and summary rows as
    dicts, :class:`BreastRow` records) merged into the folder's tables under a lock on the folder, so runs sharing a
    folder, one process or an archive run, each find every image analysed there exactly once. Paths go to
    ``written``."""
    with folder_lock(out_dir):
        table = merged_table(out_dir / "features.csv", FEATURE_COLUMNS, features, cases)
        written.append(_write_table(out_dir / "features.csv", table))
        table = merged_table(out_dir / "summary.csv", SUMMARY_COLUMNS, summary, cases)
        written.append(_write_table(out_dir / "summary.csv", table))
        mine = [dict(zip(BREAST_COLUMNS, b.as_row(), strict=True)) for b in breasts]
        keys = {(b.patient_id, b.laterality) for b in breasts}
        earlier = merged_table(out_dir / "breasts.csv", BREAST_COLUMNS, [], cases, ("cc_case", "mlo_case"))
        rows = [r for r in earlier.rows if (r.get("patient_id"), r.get("laterality")) not in keys] + mine
        if rows:
            table = MergedTable(earlier.columns, [{c: r.get(c, "") for c in earlier.columns} for r in rows])
            written.append(_write_table(out_dir / "breasts.csv", table))
