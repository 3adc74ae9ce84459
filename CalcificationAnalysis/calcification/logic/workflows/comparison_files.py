"""``calcification compare PRIOR CURRENT --out DIR``: the comparison written as files.

Outputs in ``DIR``, named after the current image (``<name>`` as ``analyze`` names it): ``<name>.changes.csv`` (the
change table, with its Slicer ``.schema.csv``), ``<name>.comparison.json`` (both images, the registration's quality
figures, the change limits, the statuses) and ``<name>.comparison.html`` (the report). All of them are written or,
on any error (a refused pair, a registration too poor to call changes, Ctrl-C), none.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.atomic_files import all_or_nothing, write_text_atomically
from ...core.comparison.change_status import ChangeThresholds
from ...core.comparison.change_table import CHANGE_COLUMNS, change_columns, change_rows
from ...core.comparison.close_ups import FIELD_MM, paired_close_ups
from ...core.comparison.exam_comparison import ExamComparison
from ...core.image import Mammogram
from ...core.progress import ProgressCallback, sub_progress
from ...core.reporting.comparison_report import ComparisonReport, write_comparison_report
from ...core.reporting.table_files import write_table_csv
from .file_workflow import check_output_folder, new_folder_removed_on_failure, prepare_output_folder
from .output_names import output_name
from .prior_comparison import PriorComparison, compare_mammograms, read_exam


@dataclass(frozen=True)
class ComparedFiles:
    """The comparison and the files written."""

    result: PriorComparison
    paths: tuple[Path, ...]


def _findings_text(findings) -> str:
    n, k = len(findings.xy_mm), len(findings.cluster_ids)
    return f"{n} calcification{'s' if n != 1 else ''} in {k} cluster{'s' if k != 1 else ''}"


def _facts(prior: Mammogram, current: Mammogram, comparison: ExamComparison) -> list[str]:
    registration = comparison.registration
    limits = ChangeThresholds()
    lines = []
    for word, m, findings in (
        ("Prior", prior, comparison.prior_findings),
        ("Current", current, comparison.current_findings),
    ):
        date = m.metadata.get("study_date") or "no study date"
        lines.append(f"{word}: {m.name} ({date}; {m.spacing_mm[0]:g} mm pixels) - {_findings_text(findings)}")
    lines.append(f"Registration (SimpleITK, breast outline then texture): {registration.quality_text}.")
    lines.append(
        f"Changes are called beyond repeat-measurement variation: at least {limits.count_min} calcifications and "
        f"{limits.count_fraction:.0%} in count, {limits.extent_min_mm:g} mm and {limits.extent_fraction:.0%} in "
        f"extent, or {limits.area_fraction:.0%} in calcified area."
    )
    lines.append(f"Summary: {comparison.summary()}.")
    return lines


def comparison_report(prior: Mammogram, current: Mammogram, comparison: ExamComparison) -> ComparisonReport:
    """The report's content for the comparison of ``current`` with ``prior``."""
    close_ups = []
    for change in comparison.changes:
        before, after = paired_close_ups(
            change, current.pixels, current.spacing_mm, prior.pixels, prior.spacing_mm, comparison.registration
        )
        number = change.current_cluster_id or change.prior_cluster_id
        which = "current" if change.current_cluster_id else "prior"
        close_ups.append((change.status.words, change.status.colour, before, after, f"cluster {number} ({which})"))
    rows = [list(row.values()) for row in change_rows(comparison.changes)]
    columns = [(name, unit) for name, (unit, _) in CHANGE_COLUMNS.items()]
    title = f"Comparison with the prior exam: {current.name}"
    return ComparisonReport(title, _facts(prior, current, comparison), close_ups, columns, rows, FIELD_MM)


def comparison_json(prior: Mammogram, current: Mammogram, comparison: ExamComparison) -> dict:
    """The machine-readable record of a comparison."""
    registration = comparison.registration
    return {
        "prior": {"name": prior.name, "study_date": prior.metadata.get("study_date", "")},
        "current": {"name": current.name, "study_date": current.metadata.get("study_date", "")},
        "registration": {
            "breast_dice": round(registration.breast_dice, 4),
            "texture_correlation": round(registration.texture_correlation, 4),
            "acceptable": registration.acceptable,
            "settings": dataclasses.asdict(registration.settings),
        },
        "limits": dataclasses.asdict(ChangeThresholds()),
        "status_counts": comparison.counts,
        "clusters": change_rows(comparison.changes),
    }


def write_comparison_files(prior: Mammogram, current: Mammogram, comparison: ExamComparison, out_dir: Path, name: str):
    """Write ``<name>.changes.csv`` (+ schema), ``<name>.comparison.json`` and ``<name>.comparison.html`` into
    ``out_dir`` (an existing folder), each atomically; returns their paths."""
    table = change_columns(comparison.changes)
    units = {k: u for k, (u, _) in CHANGE_COLUMNS.items()}
    descriptions = {k: d for k, (_, d) in CHANGE_COLUMNS.items()}
    csv_path, schema = write_table_csv(table, out_dir / f"{name}.changes.csv", descriptions, units)
    record = json.dumps(comparison_json(prior, current, comparison), indent=1)
    json_path = write_text_atomically(out_dir / f"{name}.comparison.json", record)
    report = comparison_report(prior, current, comparison)
    html_path = write_comparison_report(report, out_dir / f"{name}.comparison.html")
    return csv_path, schema, json_path, html_path


def compare_files(
    prior_path: os.PathLike | str,
    current_path: os.PathLike | str,
    out_dir: os.PathLike | str,
    segmenter=None,
    force_pair: bool = False,
    spacing_mm: Optional[tuple[float, float]] = None,
    prior_spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
    dicom: bool = False,
) -> ComparedFiles:
    """Compare the prior and current image files and write the change table, the JSON record and the report.

    ``spacing_mm`` overrides the current file's pixel spacing, ``prior_spacing_mm`` the prior's (the current's
    override when None). ``dicom`` also writes ``<name>.sr.dcm``, the current image's TID 1500 SR with each
    cluster's change status (the current image must be DICOM). Raises InputError / RegistrationError before anything
    is written.
    """
    out_dir = check_output_folder(out_dir)
    prior = read_exam(prior_path, prior_spacing_mm if prior_spacing_mm is not None else spacing_mm)
    current = read_exam(current_path, spacing_mm)
    source = None
    if dicom:  # refused before the analyses when the current image is not DICOM
        from .dicom_results import read_source_dataset

        source = read_source_dataset(Path(current_path))
    result = compare_mammograms(prior, current, segmenter, force_pair, sub_progress(progress, 0.0, 0.95))
    name = output_name(current)
    with new_folder_removed_on_failure(out_dir), all_or_nothing():
        prepare_output_folder(out_dir)
        paths = write_comparison_files(prior, current, result.comparison, out_dir, name)
        if dicom:
            from .comparison_dicom import comparison_report_dataset, write_comparison_report_dataset

            paths = (*paths, write_comparison_report_dataset(comparison_report_dataset(result, source), out_dir, name))
    return ComparedFiles(result, paths)
