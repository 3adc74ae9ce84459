"""The DICOM options of ``calcification analyze``: SEG and SR beside the local results (``--dicom``), and analysis
straight from a PACS through DICOMweb (``--dicomweb URL --study UID [--series UID] [--store]``).

Credentials never come from the command line (process lists and shell histories show it): ``--credentials-file``
names a JSON file, or the environment holds them (see :mod:`calcification.core.dicomweb.credentials`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError


def add_dicom_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--dicom``, ``--dicomweb``, ``--study``, ``--study-list``, ``--series``, ``--store`` and
    ``--credentials-file`` to ``analyze``."""
    group = parser.add_argument_group("DICOM results and DICOMweb")
    group.add_argument(
        "--dicom",
        action="store_true",
        help="also write <name>.seg.dcm (DICOM SEG) and <name>.sr.dcm (TID 1500 structured report) "
        "for each DICOM image",
    )
    group.add_argument(
        "--dicomweb",
        metavar="URL",
        help="analyse mammograms from this DICOMweb server (e.g. http://pacs:8042/dicom-web) instead of IMAGE files",
    )
    group.add_argument("--study", action="append", default=[], metavar="UID", help="Study Instance UID (repeatable)")
    group.add_argument("--study-list", type=Path, metavar="FILE", help="text file of Study Instance UIDs, one a line")
    group.add_argument("--series", metavar="UID", help="only this series of the (one) study")
    group.add_argument("--store", action="store_true", help="send each image's SEG and SR back with STOW-RS")
    group.add_argument(
        "--credentials-file",
        type=Path,
        metavar="FILE",
        help='JSON {"username": ..., "password": ...} or {"token": ...}; default: the environment '
        "(CALCIFICATION_DICOMWEB_USER / _PASSWORD, or _TOKEN)",
    )


def wants_dicomweb(args: argparse.Namespace) -> bool:
    """True when the DICOMweb options are used; InputError when they are mixed with IMAGE files or incomplete."""
    remote = [args.dicomweb, args.study, args.study_list, args.series, args.store, args.credentials_file]
    if not any(remote):
        if not args.images:
            raise InputError("Give IMAGE files, or --dicomweb URL with --study UID.")
        if args.out is None:
            raise InputError("Give the output folder with --out.")
        if args.dicom:
            _check_dicom_files(args.images)
        return False
    if not args.dicomweb:
        raise InputError("--study, --study-list, --series, --store and --credentials-file need --dicomweb URL.")
    if args.images:
        raise InputError("Give either IMAGE files or --dicomweb, not both.")
    return True


def _check_dicom_files(images) -> None:
    """``--dicom`` needs DICOM inputs with SOP and Study Instance UIDs (the SEG and SR reference them): refuse
    others before any work."""
    from ..logic.workflows.dicom_results import read_source_dataset

    for image in images:
        path = Path(image)
        try:
            with open(path, "rb") as handle:
                signature = handle.read(132)[128:132]
        except OSError:
            continue  # the reader reports a missing or unreadable file with its own message
        if signature != b"DICM" and path.suffix.lower() not in (".dcm", ".dicom"):
            raise InputError(f"--dicom writes DICOM SEG and SR, which must reference a DICOM image; {path} is not one.")
        read_source_dataset(path)  # the UIDs the SEG and SR reference: checked before any file is written


def run_dicomweb(args: argparse.Namespace, segmenter, classifier, progress=None) -> int:
    """``analyze --dicomweb``: analyse, print one line per image and per failure; exit code 2 when anything
    failed (the other images still completed)."""
    from ..core.dicomweb.credentials import find_credentials
    from ..logic.workflows.dicomweb_analysis import analyze_dicomweb_studies, read_study_list

    studies = list(args.study) + (read_study_list(args.study_list) if args.study_list else [])
    batch = analyze_dicomweb_studies(
        args.dicomweb,
        studies,
        out_dir=args.out,
        series_uid=args.series,
        store=args.store,
        credentials=find_credentials(args.credentials_file),
        segmenter=segmenter,
        spacing_mm=args.spacing,
        classifier=classifier,
        progress=progress,
    )
    for line in batch.summary_lines():
        print(line)
    for path in batch.paths:
        print(f"wrote {path}")
    for failure in batch.failures:
        print(f"calcification analyze: error: {failure}", file=sys.stderr)
    if batch.failures:
        print(
            f"calcification analyze: {len(batch.failures)} failure(s); {len(batch.images)} image(s) analysed",
            file=sys.stderr,
        )
        return 2
    return 0


def write_local_dicom_results(batch) -> list[Path]:
    """``analyze --dicom``: the SEG and SR of every analysed image beside its other files; InputError for an image
    that is not DICOM."""
    from ..logic.workflows.dicom_results import dicom_results_for, write_dicom_results

    paths = []
    for analyzed in batch.files:
        folder = analyzed.segmented.segmentation_path.parent
        paths += write_dicom_results(dicom_results_for(analyzed), folder, analyzed.run.name)
    return paths


def archive_dicomweb_studies(args: argparse.Namespace):
    """The studies of ``analyze --dicomweb`` in archive mode (a ``DicomwebStudies``), None without ``--dicomweb``
    options; InputError when they are mixed with IMAGE files or list files, or incomplete."""
    if not any([args.dicomweb, args.study, args.study_list, args.series, args.store, args.credentials_file]):
        return None
    if args.list:
        raise InputError("Give either --list files or --dicomweb, not both.")
    wants_dicomweb(args)
    from ..logic.workflows.archive_run.dicomweb_inputs import DicomwebStudies
    from ..logic.workflows.dicomweb_analysis import read_study_list

    studies = list(args.study) + (read_study_list(args.study_list) if args.study_list else [])
    return DicomwebStudies(args.dicomweb, studies, args.series, args.store, args.credentials_file)
