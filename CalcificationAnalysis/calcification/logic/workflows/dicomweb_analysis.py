"""Analyse the mammograms of studies on a PACS through DICOMweb: find them (QIDO-RS), fetch them (WADO-RS),
analyse each as ``calcification analyze`` does, build its DICOM SEG and TID 1500 SR and, when asked, store both back
(STOW-RS). What ``calcification analyze --dicomweb`` runs, and one call from Slicer's Python console::

    from calcification.logic.workflows.dicomweb_analysis import analyze_dicomweb_studies
    batch = analyze_dicomweb_studies("http://pacs:8042/dicom-web", ["1.2.3..."], out_dir="/data/results", store=True)
    print(batch.summary_lines())

One failing study, image or store does not stop the others: each failure is a one-line message naming the study,
series or instance (UIDs only, never a patient identifier) in :attr:`DicomwebBatch.failures`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ...core.dicomweb.connection import ServerError, connect
from ...core.dicomweb.credentials import Credentials
from ...core.dicomweb.result_store import StoreOutcome, store_once
from ...core.dicomweb.study_instances import InstanceRef, fetch_instance, find_mammograms
from ...core.errors import InputError
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.segmentation import SegmenterChoice
from .analysis_files import AnalyzedFile, analyze_files
from .analysis_workflow import ClassifierChoice, resolve_classifier
from .dicom_results import DicomResults, dicom_results_for, write_dicom_results
from .file_workflow import check_output_folder

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageOutcome:
    """One mammogram of the batch: its analysis and DICOM results, and what was stored."""

    ref: InstanceRef
    analyzed: AnalyzedFile
    results: DicomResults
    store: Optional[StoreOutcome] = None


@dataclass(frozen=True)
class DicomwebBatch:
    """Every image analysed, every failure (one line each) and every local file written."""

    images: tuple[ImageOutcome, ...] = ()
    failures: tuple[str, ...] = ()
    paths: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary_lines(self) -> list[str]:
        """Per image its result and what was stored (the failures are in :attr:`failures`)."""
        lines = []
        for image in self.images:
            lines.append(f"instance {image.ref.sop_uid}: {image.analyzed.run.summary}")
            if image.store is not None:
                for label in image.store.stored:
                    lines.append(f"  stored {label}")
                for label in image.store.already_present:
                    lines.append(f"  already on the server: {label}")
        return lines


@dataclass
class _Collected:
    images: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    paths: list = field(default_factory=list)


def read_study_list(path: os.PathLike | str) -> list[str]:
    """Study Instance UIDs from a text file, one per line; blank lines and ``#`` comments are ignored.

    Raises
    ------
    InputError
        Missing or unreadable file, no UID, or a line that is not a UID.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the study list {path} ({exc.__class__.__name__}).") from None
    uids = [line.split("#")[0].strip() for line in lines]
    uids = [uid for uid in uids if uid]
    for number, uid in enumerate(uids, 1):
        if len(uid) > 64 or not all(c.isdigit() or c == "." for c in uid):
            raise InputError(f"{path}: entry {number} is not a Study Instance UID (digits and dots).")
    if not uids:
        raise InputError(f"The study list {path} holds no Study Instance UID.")
    return uids


def _analyze_instance(client, ref, work, out_dir, settings, store, collected, progress) -> None:
    path = fetch_instance(client, ref, work)
    report_progress(progress, 0.1, f"Analysing instance {ref.sop_uid}")
    batch = analyze_files([path], out_dir, progress=_not_done_yet(sub_progress(progress, 0.1, 0.8)), **settings)
    analyzed = batch.files[0]
    collected.paths.extend(batch.paths)
    results = dicom_results_for(analyzed)
    collected.paths.extend(write_dicom_results(results, out_dir, analyzed.run.name))
    outcome = None
    if store:
        report_progress(progress, 0.85, f"Storing the SEG and SR of instance {ref.sop_uid}")
        outcome = store_once(client, results.datasets, progress=sub_progress(progress, 0.85, 1.0))
        collected.failures += [f"{ref.describe()}: {reason}" for _, reason in outcome.failed]
    collected.images.append(ImageOutcome(ref, analyzed, results, outcome))


def _not_done_yet(progress: ProgressCallback) -> ProgressCallback:
    """``progress`` without the "Done" of one image's analysis: storing its results, and other images, follow."""
    if progress is None:
        return None
    return lambda fraction, message: progress(fraction, "Analysed" if message == "Done" else message)


def _analyze_study(client, study_uid, series_uid, work, out_dir, settings, store, collected, progress) -> None:
    try:
        refs = find_mammograms(client, study_uid, series_uid)
    except ServerError as exc:
        collected.failures.append(str(exc))
        return
    _LOG.info("study %s: %d mammogram instance(s)", study_uid, len(refs))
    for index, ref in enumerate(refs):
        step = sub_progress(progress, index / len(refs), (index + 1) / len(refs))
        try:
            _analyze_instance(client, ref, work, out_dir, settings, store, collected, step)
        except InputError as exc:  # ServerError included: this image fails, the batch goes on
            message = without_fetched_path(str(exc), work / f"{ref.sop_uid}.dcm")
            collected.failures.append(f"{ref.describe()}: {message}")


def without_fetched_path(message: str, fetched: Path) -> str:
    """``message`` without the path of the fetched file ``fetched``: a temporary path means nothing to the user;
    the caller names the object by its UIDs."""
    return message.replace(f"{fetched}: ", "").replace(str(fetched), "it")


def analyze_dicomweb_studies(
    url: str,
    study_uids: Sequence[str],
    out_dir: os.PathLike | str | None = None,
    series_uid: Optional[str] = None,
    store: bool = False,
    credentials: Optional[Credentials] = None,
    segmenter: SegmenterChoice | str | None = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    classifier: ClassifierChoice = None,
    progress: ProgressCallback = None,
) -> DicomwebBatch:
    """Analyse every mammogram (modality MG) of ``study_uids`` on the DICOMweb server ``url``.

    Parameters
    ----------
    url : str
        DICOMweb root, e.g. ``http://pacs:8042/dicom-web``.
    study_uids : sequence of str
        Study Instance UIDs (see :func:`read_study_list` for a file of them).
    out_dir : path, optional
        Keep the local files of ``calcification analyze`` there, plus ``<name>.seg.dcm`` and ``<name>.sr.dcm``
        (names are SOP Instance UIDs); without it they go to a temporary folder that is removed.
    series_uid : str, optional
        Only this series (with a single study).
    store : bool
        Send each image's SEG and SR back with STOW-RS (objects the server already holds are not sent again).
    credentials : Credentials, optional
        See :func:`calcification.core.dicomweb.credentials.find_credentials`.
    segmenter, spacing_mm, classifier
        As for :func:`~.analysis_files.analyze_files` (the default method when ``segmenter`` is None).
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels.

    Returns
    -------
    DicomwebBatch
        Failures (server down, wrong address, study not found, no MG images, a non-image object, an image that
        does not decode, a failed store) are collected, one line each; the other images still complete.

    Raises
    ------
    InputError
        No study, a series with several studies, a bad address or an unusable classifier (before any work).
    """
    if not study_uids:
        raise InputError("Give at least one Study Instance UID (--study, or --study-list FILE).")
    if series_uid is not None and len(study_uids) != 1:
        raise InputError("--series selects a series of one study; give exactly one --study with it.")
    if out_dir is not None:
        check_output_folder(out_dir)  # a file in its place fails here, not once per image
    client = connect(url, credentials)
    settings = {
        "segmenter": SegmenterChoice.of(segmenter),
        "spacing_mm": spacing_mm,
        "classifier": resolve_classifier(classifier) or False,
        # Files named by SOP Instance UID (the fetched file's name), never by patient: PACS runs print no identifier.
        "name_from_tags": False,
    }
    collected = _Collected()
    with tempfile.TemporaryDirectory(prefix="calcification-dicomweb-") as scratch:
        work = Path(scratch) / "fetched"
        work.mkdir()
        folder = Path(out_dir) if out_dir is not None else Path(scratch) / "results"
        for index, study_uid in enumerate(study_uids):
            step = sub_progress(progress, index / len(study_uids), (index + 1) / len(study_uids))
            _analyze_study(client, study_uid, series_uid, work, folder, settings, store, collected, step)
        if out_dir is None:
            collected.paths.clear()  # removed with the temporary folder
    if not collected.failures:  # with failures, their lines are the end: no "100% Done" before them
        report_progress(progress, 1.0, "Done")
    return DicomwebBatch(tuple(collected.images), tuple(collected.failures), tuple(collected.paths))
