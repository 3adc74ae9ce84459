"""``calcification compare PRIOR CURRENT --out DIR``: compare a mammogram with the prior exam of the same breast and
view (registration, matching, a change status per cluster)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import add_segmenter_options, segmenter_choice, spacing_mm_argument
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare a mammogram with the prior exam: new, increased, stable, decreased, resolved clusters",
        description="Analyse both exams, register the prior onto the current one (SimpleITK) and give each "
        "calcification cluster a change status. Writes OUT/<name>.changes.csv, OUT/<name>.comparison.json and "
        "OUT/<name>.comparison.html; on any error (images of different breasts or views, a prior dated after the "
        "current, a registration too poor to call changes) nothing is written and the exit code is 2.",
    )
    parser.add_argument("prior", help="the earlier exam's image (DICOM, PNG, TIFF, NRRD, ...)")
    parser.add_argument("current", help="the later exam's image of the same breast and view")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.add_argument(
        "--force-pair",
        action="store_true",
        help="compare even when the files carry no tags to check patient, breast, view and dates (you vouch for it)",
    )
    parser.add_argument(
        "--spacing", type=spacing_mm_argument, metavar="MM", help="pixel spacing of the current image (MM or ROW,COL)"
    )
    parser.add_argument(
        "--prior-spacing", type=str, metavar="MM", help="pixel spacing of the prior (default: --spacing)"
    )
    parser.add_argument(
        "--dicom",
        action="store_true",
        help="also write OUT/<name>.sr.dcm: the current image's TID 1500 SR with each cluster's change status "
        "(the current image must be DICOM)",
    )
    add_segmenter_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.comparison_files import compare_files

    segmenter = segmenter_choice(args)
    with terminal_progress("Comparing", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        files = compare_files(
            args.prior,
            args.current,
            args.out,
            segmenter,
            args.force_pair,
            args.spacing,
            args.prior_spacing,
            progress,
            args.dicom,
        )
    print(files.result.summary())
    for path in files.paths:
        print(f"wrote {path}")
    return 0
