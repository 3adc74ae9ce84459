"""``calcification candidates IMAGE --out DIR``: Hessian-DoG candidates for review, as CSV and an overlay PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import add_spacing_option
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "candidates",
        help="list candidate calcifications for review (Hessian-DoG, inside the breast)",
        description="Detect candidate calcifications inside the breast (pectoral muscle excluded) with the "
        "Hessian-DoG detector and write OUT/<name>.candidates.csv (highest contrast first: rank, row, col, "
        "y_mm, x_mm, sigma_mm, area_mm2, contrast) and OUT/<name>.candidates.png (outlines over the image).",
    )
    parser.add_argument("image", help="DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA file")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    add_spacing_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.annotation_files import write_candidates_file

    with terminal_progress("Detecting", enabled=sys.stderr.isatty()) as progress:
        review, paths = write_candidates_file(args.image, args.out, spacing_mm=args.spacing, progress=progress)
    print(f"{len(review)} candidates")
    for path in paths:
        print(f"wrote {path}")
    return 0
