"""``calcification check-dataset``: read a site's annotated cases and list every problem before any training starts.

DATA are Slicer scenes (``.mrb``), folders of images with ``<name>.seg.nrrd`` (and optional ``<name>.points.csv``),
or single image files (see :mod:`calcification.logic.workflows.annotated_dataset`). Nothing is written. Exit code 0 when
the data are ready to train on, 2 with the full problem list otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .arguments import add_spacing_option
from .progress_bar import terminal_progress


def add_data_arguments(parser: argparse.ArgumentParser, nargs: str = "+") -> None:
    """DATA..., ``--labels`` and ``--spacing``, shared with the training and evaluation commands."""
    parser.add_argument(
        "data",
        nargs=nargs,
        type=Path,
        metavar="DATA",
        help="annotated scenes (.mrb), folders of image + NAME.seg.nrrd, or image files",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        metavar="CSV",
        help="case labels: columns case_id (or case; the file stem), patient_id, label "
        "(benign/malignant); calcification synth's cases.csv has this form",
    )
    add_spacing_option(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check-dataset`` sub-command."""
    parser = subparsers.add_parser(
        "check-dataset",
        help="check annotated scenes or image + .seg.nrrd folders before training, listing every problem",
        description="Read every annotated case and list every problem at once: missing or empty Calcification "
        "segment, segmentation drawn on another image grid, unreadable files, missing or unknown labels, cases "
        "without patient id, duplicate cases. Exit code 0 when clean, 2 otherwise. Nothing is written.",
    )
    add_data_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def checked_dataset(args: argparse.Namespace, events_json: bool = False):
    """Run the check with a progress bar; returns the :class:`DatasetReport`."""
    from ..logic.workflows.annotated_dataset import check_dataset

    with terminal_progress("Checking", enabled=sys.stderr.isatty() and not events_json) as progress:
        return check_dataset(args.data, args.labels, spacing_mm=args.spacing, progress=progress)


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when clean, 2 when there are problems."""
    report = checked_dataset(args)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
    return 0 if report.ok else 2
