"""Archive mode pairs exams itself (``analyze FOLDER --with-priors``): after the archive's images are analysed, the
DICOM images of one patient, breast and view are ordered by Study Date and each is compared with the one before.

The comparison reuses each image's analysis from the archive's own output (``<name>.calcifications.csv``: centres,
areas and clusters in mm), so no image is segmented twice; only the registration runs here, in the driver, one pair
after another. Per compared pair the files of ``compare`` are written into the output folder, named after the
current image; ``priors.csv`` lists every pair with its result. A pair whose registration is too poor to call
changes is listed with the reason and writes no change table.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.atomic_files import write_text_atomically
from ...core.comparison.exam_comparison import ExamComparison
from ...core.comparison.findings import ExamFindings
from ...core.comparison.matching import compare_findings
from ...core.comparison.registration import RegistrationError, register_prior
from ...core.errors import InputError
from ...core.masking.breast_mask import compute_breast_mask
from ...core.reporting.csv_cells import SafeDictWriter

PRIORS_TABLE = "priors.csv"
PRIORS_COLUMNS = (
    "patient_side_view",
    "prior",
    "current",
    "prior_date",
    "current_date",
    "result",
    *("new", "increased", "stable", "decreased", "resolved"),
)


@dataclass(frozen=True)
class ArchiveExam:
    """One analysed DICOM image of the archive: its file, output name and the tags that pair it."""

    path: Path
    name: str
    patient_id: str
    laterality: str
    view: str
    study_date: str


def exam_of(path: Path, name: str) -> ArchiveExam | None:
    """The pairing tags of a DICOM file, or None when it is not DICOM or lacks patient, side, view or date."""
    import pydicom

    from ...core.io.dicom_reader import read_laterality, read_view

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # not DICOM (PNG, NRRD ...): cannot be paired by tags
        return None
    laterality, (view, _) = read_laterality(dataset), read_view(dataset)
    tags = (str(dataset.get("PatientID", "")), laterality.value, view.value, str(dataset.get("StudyDate", "")))
    if not tags[0] or not tags[3] or tags[1] == "U" or view.value in ("UNKNOWN", "OTHER"):
        return None
    return ArchiveExam(path, name, *tags)


def exam_series(exams: list[ArchiveExam]) -> list[list[ArchiveExam]]:
    """Exams grouped by patient, side and view, each group ordered by Study Date (then name); groups of one dropped."""
    groups = defaultdict(list)
    for exam in exams:
        groups[(exam.patient_id, exam.laterality, exam.view)].append(exam)
    return [sorted(g, key=lambda e: (e.study_date, e.name)) for _, g in sorted(groups.items()) if len(g) > 1]


def findings_from_table(path: Path, spacing_mm) -> ExamFindings:
    """An exam's findings from its ``<name>.calcifications.csv`` (vascular rows left out, as clusters leave them)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("kind", "calcification") == "calcification"]
    xy = np.array([(float(r["centroid_x_mm"]), float(r["centroid_y_mm"])) for r in rows], np.float64).reshape(-1, 2)
    area = np.array([float(r["area_mm2"]) for r in rows], np.float64)
    cluster = np.array([int(float(r["cluster_id"])) for r in rows], np.int32)
    return ExamFindings(xy, area, cluster, tuple(spacing_mm))


def _compare_pair(prior: ArchiveExam, current: ArchiveExam, out_dir: Path, spacing_mm):
    from ...core.io import read_mammogram
    from .comparison_files import write_comparison_files

    spacing = None if spacing_mm is None else tuple(spacing_mm)
    images = [read_mammogram(e.path, spacing_mm=spacing) for e in (prior, current)]
    breasts = [compute_breast_mask(m.pixels, m.spacing_mm, m.view).breast for m in images]
    registration = register_prior(
        images[1].pixels, images[1].spacing_mm, breasts[1], images[0].pixels, images[0].spacing_mm, breasts[0]
    )
    registration.check_acceptable()
    findings = [
        findings_from_table(out_dir / f"{e.name}.calcifications.csv", m.spacing_mm)
        for e, m in zip((prior, current), images, strict=True)
    ]
    comparison = ExamComparison(registration, compare_findings(findings[0], findings[1], registration), *findings)
    paths = write_comparison_files(images[0], images[1], comparison, out_dir, current.name)
    return comparison, paths


def compare_archive_priors(analysed: list[tuple[Path, str]], out_dir: Path, spacing_mm=None) -> tuple[list, list]:
    """Compare each analysed DICOM image with the previous exam of its patient, breast and view.

    Parameters
    ----------
    analysed : list of (input path, output name)
        The archive's images that were analysed (their ``<name>.calcifications.csv`` is in ``out_dir``).
    out_dir : Path
    spacing_mm : (float, float) or None
        The run's ``--spacing`` override.

    Returns
    -------
    (rows, paths)
        The ``priors.csv`` rows and every file written (``priors.csv`` last).
    """
    exams = [e for e in (exam_of(Path(p), n) for p, n in analysed) if e is not None]
    rows, paths = [], []
    for series in exam_series(exams):
        for prior, current in zip(series, series[1:], strict=False):
            row = {
                "patient_side_view": f"{current.patient_id}_{current.laterality}_{current.view}",
                "prior": prior.name,
                "current": current.name,
                "prior_date": prior.study_date,
                "current_date": current.study_date,
            }
            try:
                comparison, written = _compare_pair(prior, current, out_dir, spacing_mm)
            except (RegistrationError, InputError, OSError) as exc:
                row["result"] = f"not compared: {exc}"
            else:
                row.update(result="compared", **comparison.counts)
                paths.extend(written)
            rows.append(row)
    if rows:
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, fieldnames=PRIORS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        paths.append(write_text_atomically(out_dir / PRIORS_TABLE, buffer.getvalue()))
    return rows, paths
