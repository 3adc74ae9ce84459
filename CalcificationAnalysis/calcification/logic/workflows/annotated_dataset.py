"""A site's own annotated mammograms as training and test data: find the cases, check them all, load them.

Inputs (any mix, several paths at once):

- a Slicer scene bundle ``<case>.mrb``: one mammogram volume and a segmentation with a "Calcification" segment,
  optional point markups (as the CalcificationAnalysis panel saves them);
- a folder: every ``<case>.seg.nrrd`` pairs with the image ``<case>.<ext>`` beside it (any format
  :func:`calcification.core.io.read_mammogram` reads, recognised by extension), plus ``<case>.points.csv`` if
  present; ``<case>.mrb`` files are taken for cases that have no such pair in the folder (``calcification synth
  --mrb`` writes both forms of one case); an image without a segmentation is a problem, files whose name carries
  ``.instances.``/``.label.``/``.labels.`` are ignored;
- an image file whose ``.seg.nrrd`` lies beside it.

A labels CSV (``calcification synth``'s ``cases.csv`` form: ``case_id`` or ``case`` = file stem, ``patient_id``,
``label`` benign/malignant) gives patient ids (cross-validation folds keep a patient's images together) and labels.
Without it a case's patient id comes from its DICOM Patient ID, if any.

:func:`check_dataset` reads everything once and lists every problem before any training starts;
:func:`load_training_cases` prepares the cases with
:func:`calcification.core.training.training_cases.prepare_training_case`, exactly as synthetic cases are.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from ...core.errors import InputError
from ...core.progress import ProgressCallback, report_progress
from .annotated_case_reader import (
    AnnotatedCase,
    CaseProblemError,
    ProblemKind,
    SourceKind,
    point_targets,
    read_file_pair,
    read_labels_csv,
    read_scene_bundle,
)

#: Case labels a labels CSV may hold.
KNOWN_LABELS = ("benign", "malignant")
#: Image extensions looked for beside a ``.seg.nrrd`` (lower case; ``.nii.gz`` matched as a whole).
IMAGE_SUFFIXES = (
    ".nrrd",
    ".nhdr",
    ".nii",
    ".nii.gz",
    ".mha",
    ".mhd",
    ".dcm",
    ".dicom",
    ".png",
    ".tif",
    ".tiff",
    ".pgm",
    ".ppm",
)
#: Name parts of label maps and side files that are never mammograms.
_SIDE_FILE_TAGS = (".seg.", ".instances.", ".label.", ".labels.", ".points.")


@dataclass(frozen=True)
class AnnotatedCaseSource:
    """Where one case lives and what the labels CSV says about it (nothing is read yet)."""

    case_id: str
    kind: SourceKind
    image: Path  #: the image file, or the .mrb for a scene
    segmentation: Optional[Path] = None  #: the .seg.nrrd (file pairs only)
    points: Optional[Path] = None  #: the .points.csv (file pairs only)
    patient_id: Optional[str] = None
    label: Optional[str] = None  #: as written in the labels CSV (checked by :func:`check_dataset`)
    in_labels: bool = False  #: whether the labels CSV has a row for this case


@dataclass(frozen=True)
class DatasetProblem:
    """One problem: the case (empty for dataset-wide ones), the file at fault, the kind and a message to act on."""

    case: str
    file: str
    kind: ProblemKind
    message: str

    def to_dict(self) -> dict:
        return {"case": self.case, "file": self.file, "kind": self.kind.value, "message": self.message}


@dataclass(frozen=True)
class DatasetReport:
    """Result of :func:`check_dataset`: the cases found and every problem."""

    sources: tuple[AnnotatedCaseSource, ...]
    problems: tuple[DatasetProblem, ...]
    labels_csv: Optional[Path] = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows(self) -> list[dict]:
        """One dict per problem (columns case, kind, file, message), for a table."""
        return [p.to_dict() for p in self.problems]

    def summary(self) -> str:
        """Plain text: counts, then one line per problem."""
        patients = {s.patient_id for s in self.sources if s.patient_id}
        head = f"{len(self.sources)} case(s) of {len(patients)} patient(s)"
        if self.ok:
            return f"{head}: no problems found." + "".join(f"\n  note: {n}" for n in self.notes)
        bad = {p.case for p in self.problems if p.case}
        lines = [f"{head}: {len(self.problems)} problem(s) in {len(bad)} case(s)."]
        lines += [f"  [{p.kind.value}] {p.case or '-'}: {p.message}" for p in self.problems]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "n_cases": len(self.sources),
            "n_patients": len({s.patient_id for s in self.sources if s.patient_id}),
            "labels_csv": str(self.labels_csv) if self.labels_csv else None,
            "problems": self.rows(),
            "notes": list(self.notes),
        }


def _is_side_file(name: str) -> bool:
    return any(tag in name.lower() for tag in _SIDE_FILE_TAGS)


def _image_stem(path: Path) -> Optional[str]:
    """The case stem of an image file name, or None when it is no image (by extension) or a side file."""
    name = path.name
    for suffix in IMAGE_SUFFIXES:
        if name.lower().endswith(suffix) and not _is_side_file(name):
            return name[: -len(suffix)]
    return None


def _unpaired(stem: str, images: list[Path], seg: Optional[Path]) -> DatasetProblem:
    if seg is None:
        message = f"{images[0].name} has no {stem}.seg.nrrd beside it."
        return DatasetProblem(stem, str(images[0]), ProblemKind.MISSING_SEGMENTATION, message)
    if not images:
        return DatasetProblem(stem, str(seg), ProblemKind.MISSING_IMAGE, f"{seg.name} has no image {stem}.<ext>.")
    message = f"{seg.name} could belong to several images ({', '.join(p.name for p in images)}); keep one."
    return DatasetProblem(stem, str(seg), ProblemKind.AMBIGUOUS_FILES, message)


def _scan_folder(folder: Path, problems: list, notes: list) -> list[AnnotatedCaseSource]:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    segmentations = {p.name[: -len(".seg.nrrd")]: p for p in files if p.name.lower().endswith(".seg.nrrd")}
    images: dict[str, list[Path]] = {}
    for path in files:
        stem = _image_stem(path)
        if stem is not None:
            images.setdefault(stem, []).append(path)
    scenes = {p.name[:-4]: p for p in files if p.suffix.lower() == ".mrb"}
    sources = []
    for stem in sorted(set(segmentations) | set(images)):
        found, seg = images.get(stem, []), segmentations.get(stem)
        if seg is not None and len(found) == 1:
            points = folder / f"{stem}.points.csv"
            sources.append(
                AnnotatedCaseSource(stem, SourceKind.FILES, found[0], seg, points if points.is_file() else None)
            )
        elif stem not in scenes:  # (a scene of the same name holds the case)
            problems.append(_unpaired(stem, found, seg))
    taken = {s.case_id for s in sources}
    for stem, path in scenes.items():
        if stem in taken:
            notes.append(f"{path.name} not read: the folder has the same case as {stem}.seg.nrrd + image.")
        else:
            sources.append(AnnotatedCaseSource(stem, SourceKind.SCENE, path))
    return sources


def _sources_of(path: Path, problems: list, notes: list) -> list[AnnotatedCaseSource]:
    if path.is_dir():
        return _scan_folder(path, problems, notes)
    if not path.is_file():
        problems.append(DatasetProblem("", str(path), ProblemKind.MISSING_PATH, f"{path} does not exist."))
        return []
    if path.suffix.lower() == ".mrb":
        return [AnnotatedCaseSource(path.name[:-4], SourceKind.SCENE, path)]
    stem = _image_stem(path)
    seg = path.with_name(f"{stem}.seg.nrrd") if stem is not None else None
    if seg is None or not seg.is_file():
        message = f"{path} is not a scene (.mrb) or an image with a .seg.nrrd beside it."
        problems.append(DatasetProblem(stem or path.name, str(path), ProblemKind.MISSING_SEGMENTATION, message))
        return []
    points = path.with_name(f"{stem}.points.csv")
    return [AnnotatedCaseSource(stem, SourceKind.FILES, path, seg, points if points.is_file() else None)]


def _with_labels(sources: list, labels_csv: Optional[Path], problems: list) -> list[AnnotatedCaseSource]:
    if labels_csv is None:
        return sources
    try:
        table = read_labels_csv(labels_csv)
    except CaseProblemError as exc:
        problems.append(DatasetProblem("", str(exc.file), exc.kind, str(exc)))
        return sources
    for case, entry in table.items():
        if entry["rows"] > 1:
            message = f"The labels CSV has {entry['rows']} rows for case {case}; keep one."
            problems.append(DatasetProblem(case, str(labels_csv), ProblemKind.DUPLICATE_CASE, message))
    return [
        replace(s, patient_id=table[s.case_id]["patient_id"] or None, label=table[s.case_id]["label"], in_labels=True)
        if s.case_id in table
        else s
        for s in sources
    ]


def _discover(paths: Iterable, labels_csv) -> tuple[list, list, list]:
    problems: list[DatasetProblem] = []
    notes: list[str] = []
    sources = [s for path in paths for s in _sources_of(Path(path), problems, notes)]
    sources = _with_labels(sources, Path(labels_csv) if labels_csv is not None else None, problems)
    seen: dict[str, AnnotatedCaseSource] = {}
    for source in sources:
        first = seen.setdefault(source.case_id, source)
        if first is not source:
            message = f"Case {source.case_id} is given twice: {first.image} and {source.image}; names must be unique."
            problems.append(DatasetProblem(source.case_id, str(source.image), ProblemKind.DUPLICATE_CASE, message))
    sources = list(seen.values())  # a repeated case is reported once, not checked again
    if not sources and not problems:
        where = ", ".join(str(p) for p in paths) or "(no path)"
        message = f"No annotated case in {where}: expected .mrb scenes or images with <name>.seg.nrrd beside them."
        problems.append(DatasetProblem("", where, ProblemKind.NO_CASES, message))
    return sources, problems, notes


def find_annotated_cases(
    paths: Sequence[os.PathLike | str],
    labels_csv: Optional[os.PathLike | str] = None,
) -> list[AnnotatedCaseSource]:
    """The annotated cases under ``paths`` (scenes, folders, image files; see module docstring), with the patient
    id and label of ``labels_csv`` when given. Nothing but names is read.

    Raises
    ------
    InputError
        Listing every problem found while finding the cases (missing paths, unpaired files, duplicates, a bad
        labels CSV); file contents are checked by :func:`check_dataset`.
    """
    sources, problems, _ = _discover(paths, labels_csv)
    if problems:
        raise InputError("The dataset has problems:\n" + "\n".join(f"  {p.message}" for p in problems))
    return sources


def _label_problems(source: AnnotatedCaseSource, case: Optional[AnnotatedCase], has_labels: bool) -> list:
    found = []  # (kind, message)
    if has_labels and not source.in_labels:
        found.append((ProblemKind.MISSING_LABEL, f"Case {source.case_id} has no row in the labels CSV."))
    elif has_labels and (source.label or "").strip().lower() not in KNOWN_LABELS:
        what = f"label {source.label!r}" if source.label else "no label"
        kind = ProblemKind.UNKNOWN_LABEL if source.label else ProblemKind.MISSING_LABEL
        found.append((kind, f"Case {source.case_id} has {what}; expected {' or '.join(KNOWN_LABELS)}."))
    if not _patient_id(source, case) and (source.in_labels or not has_labels):
        message = f"Case {source.case_id} has no patient id; give it in a labels CSV (--labels, column patient_id)."
        found.append((ProblemKind.MISSING_PATIENT_ID, message))
    return [DatasetProblem(source.case_id, str(source.image), kind, message) for kind, message in found]


def _patient_id(source: AnnotatedCaseSource, case: Optional[AnnotatedCase]) -> Optional[str]:
    if source.patient_id:
        return source.patient_id
    if case is not None:
        return str(case.mammogram.metadata.get("patient_id", "")).strip() or None
    return None


def read_annotated_case(
    source: AnnotatedCaseSource,
    spacing_mm: Optional[tuple[float, float]] = None,
) -> AnnotatedCase:
    """Read one case's image, calcification mask and points (:class:`CaseProblemError` says what is wrong)."""
    if source.kind is SourceKind.SCENE:
        return read_scene_bundle(source.case_id, source.image)
    return read_file_pair(source.case_id, source.image, source.segmentation, source.points, spacing_mm)


def check_dataset(
    paths: Sequence[os.PathLike | str],
    labels_csv: Optional[os.PathLike | str] = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
) -> DatasetReport:
    """Find and read every case and report every problem at once (nothing is written).

    Parameters
    ----------
    paths : sequence of path-like
        Scenes, folders or image files (see module docstring).
    labels_csv : path-like, optional
        Case -> patient_id, label. When given, every case needs a row with a benign/malignant label.
    spacing_mm : (float, float), optional
        Pixel spacing (row, col) in mm for image files that carry none.
    progress : callable, optional
        Called per case; False cancels (:class:`CancelledError`).

    Returns
    -------
    DatasetReport
        ``ok`` when there is no problem; otherwise ``problems`` lists each (case, file, kind, message): missing or
        empty calcification segment, segmentation grid not matching its image, unreadable files, missing or
        unknown labels, cases without patient id, duplicate cases, unpaired files, bad point files.
    """
    sources, problems, notes = _discover(paths, labels_csv)
    resolved = []
    for index, source in enumerate(sources):
        report_progress(progress, index / max(1, len(sources)), f"Checking {source.case_id}")
        case = None
        try:
            case = read_annotated_case(source, spacing_mm)
        except CaseProblemError as exc:
            problems.append(DatasetProblem(source.case_id, str(exc.file or source.image), exc.kind, str(exc)))
        problems.extend(_label_problems(source, case, labels_csv is not None))
        resolved.append(replace(source, patient_id=_patient_id(source, case)))
    report_progress(progress, 1.0, f"Checked {len(sources)} case(s)")
    labels = Path(labels_csv) if labels_csv is not None else None
    return DatasetReport(tuple(resolved), tuple(problems), labels, tuple(notes))


def load_training_cases(
    sources: Sequence[AnnotatedCaseSource],
    model_spacing_mm: float,
    normalisation=None,
    point_radius_mm: Optional[float] = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
) -> list:
    """Prepare annotated cases for training exactly like synthetic ones.

    Each image is resampled to ``model_spacing_mm`` and normalised inside the product's breast mask (without
    pectoral muscle) by :func:`calcification.core.training.training_cases.prepare_training_case`.

    Parameters
    ----------
    sources : sequence of AnnotatedCaseSource
        Checked cases (see :func:`check_dataset`; its ``sources`` carry the resolved patient ids).
    model_spacing_mm : float
        The network's isotropic pixel spacing in mm (``TrainingConfig.spacing_mm``).
    normalisation : NormalisationSpec, optional
        The model card's intensity rule (default percentiles).
    point_radius_mm : float, optional
        When given, point annotations become extra calcification targets: a disc of this radius (mm) around each
        point is added to the mask (binary proximity targets after Marasinou et al. 2023). Ignored when None.
    spacing_mm : (float, float), optional
        Pixel spacing for image files that carry none.

    Returns
    -------
    list of TrainingCase
        ``mask`` uint8 (rows, cols) at the model spacing; equal to the segment when no resampling is needed.

    Raises
    ------
    InputError
        The first unusable case (run :func:`check_dataset` for the full list), or a case without patient id.
    """
    from ...core.masking.breast_mask import compute_breast_mask
    from ...core.training.training_cases import prepare_training_case

    prepared = []
    for index, source in enumerate(sources):
        report_progress(progress, index / max(1, len(sources)), f"Loading {source.case_id}")
        case = read_annotated_case(source, spacing_mm)
        patient = _patient_id(source, case)
        if not patient:
            raise InputError(f"Case {source.case_id} has no patient id; give a labels CSV with patient_id.")
        image, mask = case.mammogram, case.mask
        if point_radius_mm is not None and len(case.points):
            mask = mask | point_targets(image.shape, case.points, image.spacing_mm, point_radius_mm)
        region = compute_breast_mask(image.pixels, image.spacing_mm, image.view).analysable
        prepared.append(
            prepare_training_case(
                source.case_id, patient, image.pixels, image.spacing_mm, mask, region, model_spacing_mm, normalisation
            )
        )
    report_progress(progress, 1.0, f"Loaded {len(prepared)} case(s)")
    return prepared
