"""Entry point of the headless ``calcification`` command.

Each sub-command lives in its own module of this package (``command_<name>.py``) exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a callable ``func(args) -> int``.
Any :class:`CalcificationError` becomes a one-line message on stderr and exit code 2; a cancelled run exits with 130.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence
from typing import Optional

from .. import __version__
from ..core.errors import CalcificationError, CancelledError

#: Sub-command modules, in the order ``calcification --help`` lists them.
COMMAND_MODULES = (
    "command_info",
    "command_segment",
    "command_analyze",
    "command_models",
    "command_trace",
    "command_candidates",
    "command_candidate_table",
    "command_train_candidate_filter",
    "command_agreement",
    "command_synth",
    "command_check_dataset",
    "command_train_segmenter",
    "command_evaluate_segmenter",
    "command_train_classifier",
    "command_evaluate_classifier",
    "command_classifiers",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="calcification",
        description="Find, outline and measure breast calcifications on mammograms (no Slicer needed).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show warnings and debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue  # a command not built yet in this checkout
            raise
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    # Warnings (e.g. a file without pixel spacing) are for the user: one plain line each, no source location.
    warnings.formatwarning = lambda message, category, *_, **__: f"calcification: warning: {message}\n"
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CancelledError as exc:
        print(f"calcification {args.command}: {exc}", file=sys.stderr)
        return 130
    except CalcificationError as exc:
        print(f"calcification {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
