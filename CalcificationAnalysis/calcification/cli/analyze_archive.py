"""``calcification analyze`` over an archive: the Dask options and the run behind them
(:func:`calcification.logic.workflows.archive_run.analyze_archive`).

Archive mode is chosen by any of its options, by a folder among the inputs, or by ``DASK_SCHEDULER_ADDRESS``; without
them ``analyze`` keeps its one-process, all-or-nothing behaviour.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .progress_bar import terminal_progress

#: Failed images listed on stderr at the end of a run (the manifest lists all of them).
_FAILURES_SHOWN = 20


def add_archive_options(parser: argparse.ArgumentParser) -> None:
    """The options of archive mode (any of them chooses it)."""
    group = parser.add_argument_group(
        "archive mode (Dask)",
        "many images as Dask tasks, each image's outputs kept as it finishes, a manifest (OUT/manifest.jsonl) and "
        "resume: a rerun skips images whose outputs are verified. Chosen by any option below, by a FOLDER among "
        "the inputs, or by DASK_SCHEDULER_ADDRESS; a bad image fails alone and the run goes on (exit 2 at the end).",
    )
    group.add_argument("--archive", action="store_true", help="archive mode on an embedded cluster of this machine")
    group.add_argument(
        "--list",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="file of input paths, one per line (repeatable)",
    )
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler")
    group.add_argument("--scheduler-file", metavar="JSON", help="an existing Dask scheduler's file")
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="workers of the embedded cluster (default: one per core, fewer if memory is short)",
    )
    group.add_argument("--force", action="store_true", help="redo every image, even those with verified outputs")
    group.add_argument(
        "--with-priors",
        action="store_true",
        help="then compare each DICOM image with the previous exam (by Study Date) of its patient, breast and view",
    )


def archive_requested(args: argparse.Namespace) -> bool:
    """True when the command line asks for archive mode (see the module docstring)."""
    if args.archive or args.list or args.scheduler or args.scheduler_file or args.workers is not None or args.force:
        return True
    if getattr(args, "with_priors", False):
        return True
    return bool(os.environ.get("DASK_SCHEDULER_ADDRESS")) or any(Path(p).is_dir() for p in args.images)


def _quiet_dask(verbose: bool) -> None:
    """Dask's own log lines (worker start and stop, connection closes at shutdown) only with --verbose; the
    variable reaches the embedded cluster's worker processes, which configure logging when they start."""
    if verbose:
        return
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    logging.getLogger("distributed").setLevel(logging.ERROR)


def _failure_line(record) -> str:
    """The input (a path, or a DICOMweb object by its UIDs) and why it failed; the input once if the reason names
    it already."""
    where = record.source or record.input
    return record.error if where.lower() in record.error.lower() else f"{where}: {record.error}"


def _print_results(done) -> None:
    """Each image's result line and the run's notes, as a single-image ``analyze`` prints them."""
    notes = set()
    for record in done:
        if record.result_line:  # a record written before the lines were kept has none
            print(record.result_line)
        notes.update(record.notes)
    for note in sorted(notes):
        print(note)


def run_archive(args: argparse.Namespace, segmenter, classifier) -> int:
    """Run archive mode; exit code 0, 2 when any image failed, 130 / 143 when stopped (a rerun resumes)."""
    from ..core.interruption import Terminated, signal_reported
    from ..logic.workflows.archive_run import DONE, FAILED, MANIFEST_NAME, PENDING, analyze_archive, read_manifest
    from .dicom_options import archive_dicomweb_studies

    dicomweb = archive_dicomweb_studies(args)  # before any work: option mistakes are refused first

    _quiet_dask(args.verbose)

    def announce(start) -> None:
        link = f"; dashboard {start.dashboard_link}" if start.dashboard_link else ""
        print(f"analysing {start.images} images on {start.workers} Dask workers{link}", file=sys.stderr, flush=True)

    try:
        with terminal_progress("Analysing", enabled=sys.stderr.isatty(), lines_without_terminal=True) as progress:
            result = analyze_archive(
                args.images,
                args.out,
                segmenter,
                spacing_mm=args.spacing,
                classifier=classifier,
                list_files=args.list,
                scheduler=args.scheduler,
                scheduler_file=args.scheduler_file,
                workers=args.workers,
                force=args.force,
                progress=progress,
                on_start=announce,
                dicomweb=dicomweb,
            )
    except KeyboardInterrupt as exc:
        signal_reported()  # said here, with what was kept; the command line adds nothing
        records = read_manifest(Path(args.out) / MANIFEST_NAME).values()
        done, pending = (sum(r.status == s for r in records) for s in (DONE, PENDING))
        print(
            f"calcification analyze: interrupted; {done} images done and kept, {pending} pending; run the same "
            "command again to resume",
            file=sys.stderr,
        )
        return 143 if isinstance(exc, Terminated) else 130
    failed = result.with_status(FAILED)
    _print_results(result.with_status(DONE))
    reused = sum(r.reused for r in result.records)
    print(
        f"{len(result.with_status(DONE))} images analysed ({reused} verified from an earlier run), "
        f"{len(failed)} failed; manifest {result.manifest_path}"
    )
    if dicomweb is not None and dicomweb.store:
        print(f"SEG and SR of {sum(len(r.stored) == 2 for r in result.records)} images on the server")
    for record in failed[:_FAILURES_SHOWN]:
        print(f"calcification analyze: error: {_failure_line(record)}", file=sys.stderr)
    if len(failed) > _FAILURES_SHOWN:
        print(
            f"calcification analyze: {len(failed) - _FAILURES_SHOWN} more failed; see {result.manifest_path}",
            file=sys.stderr,
        )
    for path in result.paths:
        print(f"wrote {path}")
    if getattr(args, "with_priors", False):
        _compare_priors(args, result)
    return 2 if failed else 0


def _compare_priors(args: argparse.Namespace, result) -> None:
    """``--with-priors``: each analysed DICOM image against the previous exam of its patient, breast and view."""
    from ..logic.workflows.archive_priors import compare_archive_priors
    from ..logic.workflows.archive_run import DONE

    analysed = [(r.input, r.name) for r in result.with_status(DONE) if Path(str(r.input)).is_file()]
    rows, paths = compare_archive_priors(analysed, Path(args.out), args.spacing)
    compared = sum(r["result"] == "compared" for r in rows)
    print(f"{compared} of {len(rows)} exam pairs compared with their prior")
    for row in rows:
        if row["result"] != "compared":
            print(f"calcification analyze: warning: {row['current']}: {row['result']}", file=sys.stderr)
    for path in paths:
        print(f"wrote {path}")
