"""Entry point of the headless ``calcification`` command.

Each sub-command lives in its own module of this package (``command_<name>.py``) exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a callable ``func(args) -> int``.
Any :class:`CalcificationError` becomes a one-line message on stderr and exit code 2; a cancelled run exits with 130.
Ctrl-C (SIGINT) and SIGTERM unwind the run like an error, so its temporary and half-written files are removed, and
end it with one line and exit code 130 / 143; a signal that arrives once every output is written ends the run with
its report and a line saying so (:mod:`calcification.core.interruption`). Other libraries' log messages reach the
terminal only with --verbose.
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
from ..core.atomic_files import commits_in_main_thread, remove_own_temporaries
from ..core.errors import CalcificationError, CancelledError
from ..core.interruption import Terminated, exit_code, handling_signals, hold_signals, pending_signal
from .arguments import check_spacing_option

#: Sub-command modules, in the order ``calcification --help`` lists them.
COMMAND_MODULES = (
    "command_info",
    "command_segment",
    "command_analyze",
    "command_compare",
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
    "command_prepare",
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


__all__ = ["Terminated", "build_parser", "main"]


def _configure_logging(verbose: bool) -> None:
    """The product's own warnings at the default verbosity, everything with --verbose; libraries (pydicom,
    pylibjpeg, torch ...) log to the terminal only with --verbose."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: record.name.split(".")[0] == "calcification")
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_calcification", False):
            root.removeHandler(old)
    handler._calcification = True
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        _quiet_vtk_output_window()


def _quiet_vtk_output_window() -> None:
    """MRML and VTK print their own info and warning text (e.g. "WriteData: removing old version of file") through
    VTK's output window: collect it in a string instead of the terminal. Failures reach the user as errors."""
    try:
        from vtkmodules.vtkCommonCore import vtkOutputWindow, vtkStringOutputWindow
    except ImportError:  # no VTK: nothing prints
        return
    global _VTK_WINDOW
    _VTK_WINDOW = vtkStringOutputWindow()
    vtkOutputWindow.SetInstance(_VTK_WINDOW)


_VTK_WINDOW = None


def _inputs_of(args) -> str:
    """The input files of a command, for the interruption message."""
    for name in ("images", "image", "data"):
        value = getattr(args, name, None)
        if value:
            return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    return str(getattr(args, "out", "") or "this run")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    # Warnings (e.g. a file without pixel spacing) are for the user: one plain line each, no source location.
    warnings.formatwarning = lambda message, category, *_, **__: f"calcification: warning: {message}\n"
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with handling_signals():
        try:
            return _run_command(args, commits_in_main_thread())
        finally:
            remove_own_temporaries()


def _run_command(args, commits_before: int) -> int:
    """Run the sub-command; the exit code, with the one line of an interruption, a cancel or an error."""
    try:
        check_spacing_option(args)
        code = int(args.func(args) or 0)
    except KeyboardInterrupt as exc:  # everything below has unwound: the files in progress are rolled back
        hold_signals()  # a second Ctrl-C must not cut this line
        if commits_in_main_thread() > commits_before:  # a PACS run: earlier images were complete and stay
            kept = f" in {args.out}" if getattr(args, "out", None) else ""
            what = f"images completed before the signal are kept{kept}, nothing of the one in progress"
        else:
            what = f"nothing was written for {_inputs_of(args)}"
        print(f"calcification {args.command}: interrupted; {what}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except CancelledError as exc:
        print(f"calcification {args.command}: {exc}", file=sys.stderr)
        return 130
    except CalcificationError as exc:
        print(f"calcification {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:  # an estimate that passed, then an allocation that did not: the partial work is undone
        print(
            f"calcification {args.command}: error: ran out of memory part way; no output file of "
            f"{_inputs_of(args)} was kept. Choose a smaller size or fewer workers, or close other programs.",
            file=sys.stderr,
        )
        return 2
    except PermissionError as exc:  # a file or folder this user may not read or write, met past the entry checks
        where = exc.filename or _inputs_of(args)
        print(
            f"calcification {args.command}: error: Cannot read or write {where}: permission denied; give this user "
            "access, or choose another file or folder.",
            file=sys.stderr,
        )
        return 2
    signum = pending_signal()
    if signum is None:
        return code
    # The signal came once every output was written (signals are held after the commit): the report above stands.
    print(
        f"calcification {args.command}: interrupted after everything was written for {_inputs_of(args)}; "
        "the files listed above are complete",
        file=sys.stderr,
    )
    return exit_code(signum)


if __name__ == "__main__":
    sys.exit(main())
