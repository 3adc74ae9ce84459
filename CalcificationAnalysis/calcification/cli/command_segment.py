"""``calcification segment IMAGE --out DIR``: outline the calcifications of a mammogram file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import add_segmenter_options, add_spacing_option, segmenter_choice
from .progress_bar import terminal_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "segment",
        help="outline the calcifications of a mammogram (no measurements: see analyze)",
        description="Outline the calcifications of IMAGE and print how many there are; measures nothing (analyze "
        "adds the tables, clusters, probability and report). Writes OUT/<name>.seg.nrrd (segments 'Calcification' "
        "and, when found, 'Vascular calcification'), OUT/<name>.mrb (Slicer scene: image and segmentation), "
        "OUT/<name>.overlay.png and, with the network method, OUT/<name>.probability.nrrd (probability per pixel). "
        "The printed count is the saved segmentation's (touching objects are one), as analyze reports it. On any "
        "error no output file is left behind.",
    )
    parser.add_argument("image", help="DICOM, PNG, TIFF, PGM, NRRD, NIfTI or MHA file")
    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    add_segmenter_options(parser)
    add_spacing_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..logic.workflows.file_workflow import segment_file

    segmenter = segmenter_choice(args)
    with terminal_progress("Segmenting", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
        result = segment_file(args.image, args.out, segmenter, spacing_mm=args.spacing, progress=progress)
    if result.segmentation.details.get("synthetic_training"):
        print(f"note: the model {result.segmentation.details['model_name']!r} was trained on synthetic data only.")
    print(result.segmentation.summary())
    for path in result.paths:
        print(f"wrote {path}")
    return 0
