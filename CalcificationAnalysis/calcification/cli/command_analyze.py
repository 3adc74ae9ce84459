"""``calcification analyze IMAGE... --out DIR``: segment, measure and judge the calcifications of mammogram files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import InputError
from .analyze_archive import add_archive_options, archive_requested, run_archive
from .arguments import add_segmenter_options, add_spacing_option, segmenter_choice
from .dicom_options import add_dicom_options, run_dicomweb, wants_dicomweb, write_local_dicom_results
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="segment, measure and classify the calcifications of mammograms, with a report",
        description="For each IMAGE write OUT/<name>.seg.nrrd, .mrb, .overlay.png, .features.csv, "
        ".calcifications.csv, .clusters.csv and .report.html; over all images OUT/features.csv (the input of "
        "train-classifier), OUT/summary.csv and, for CC and MLO views of one breast (same side and patient id, "
        "ignoring side and view words at the end of the id), OUT/breasts.csv with the breast-level result (Lin et "
        "al. 2023). On any error no new file is left behind.",
    )
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA files (folders in archive mode)",
    )
    parser.add_argument("--out", type=Path, help="output folder (created if missing; optional with --dicomweb)")
    add_segmenter_options(parser)
    parser.add_argument(
        "--classifier",
        help="classifier name or folder (see `calcification classifiers`; default: the shipped one); 'none' for "
        "measurements without a probability",
    )
    add_spacing_option(parser)
    add_dicom_options(parser)
    add_archive_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.analysis_files import analyze_files
    from ..logic.workflows.result_lines import result_line, result_notes

    classifier = False if (args.classifier or "").lower() == "none" else args.classifier
    if archive_requested(args):
        if args.out is None:
            raise InputError("Give the output folder with --out.")
        return run_archive(args, segmenter_choice(args), classifier)
    remote = wants_dicomweb(args)
    segmenter = segmenter_choice(args)
    with terminal_progress("Analysing", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        if remote:
            return run_dicomweb(args, segmenter, classifier, progress)
        batch = analyze_files(args.images, args.out, segmenter, args.spacing, progress, classifier)
    notes = set()
    for analyzed in batch.files:
        print(result_line(analyzed))
        notes.update(result_notes(analyzed))
    for breast in batch.breasts:
        print(
            f"breast {breast.patient_id} {breast.laterality}: probability {breast.result.probability:.2f} "
            f"({breast.result.note})"
        )
    for note in sorted(notes):
        print(note)
    for path in (*batch.paths, *(write_local_dicom_results(batch) if args.dicom else ())):
        print(f"wrote {path}")
    return 0
