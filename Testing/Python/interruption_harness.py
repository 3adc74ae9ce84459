"""Interrupt a ``calcification`` run at a named point and say what it left behind (issue 27, item 2).

The run is started with ``CALCIFICATION_PAUSE_AT=POINT`` (see :func:`calcification.core.interruption.test_point`): it
writes a marker file when it reaches the point and waits there; the harness waits for the marker (an event, not a
guessed moment), sends the signal and checks the promise: exit code 130 / 143, one closing line that says whether
nothing or everything of each image was written, and exactly that in the output folder. Used by the deterministic
tests, the stress test (``-m stress``) and ``Testing/Benchmarks/benchmark_interruptions.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from speck_pictures import make_image

COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]
HDOG = ["--method", "hdog", "--classifier", "none", "--spacing", "0.07"]
ARCHIVE_IMAGES = 4


@dataclass(frozen=True)
class Point:
    """Where a run is interrupted: the command (``segment``, ``analyze``, ``archive``), the point's name in the
    product, and whether the image's files are committed there (then everything must stay, else nothing)."""

    command: str
    name: str
    committed: bool = False

    def __str__(self) -> str:
        return f"{self.command}@{self.name}"


#: Every point the stress test and the benchmark go through: before any file, between and inside the renames into
#: place, before and after the commit; for archive runs in the driver and inside a worker's image.
POINTS = (
    Point("segment", "progress Saving the segmentation, scene and overlay"),
    Point("segment", "placing case.seg.nrrd"),
    Point("segment", "placed case.mrb"),
    Point("segment", "before-commit"),
    Point("segment", "after-commit", committed=True),
    Point("analyze", "progress Saving the segmentation"),
    Point("analyze", "placing case.seg.nrrd"),
    Point("analyze", "placed case.overlay.png"),
    Point("analyze", "placing case.report.html"),
    Point("analyze", "placed case.report.html"),
    Point("analyze", "placed summary.csv"),
    Point("analyze", "before-commit"),
    Point("analyze", "after-commit", committed=True),
    Point("archive", "archive record"),
    Point("archive", "placed case0.report.html"),
    Point("archive", "after-commit"),
)


def _arguments(point: Point, workdir: Path) -> tuple[list[str], Path, list[Path]]:
    inputs = workdir / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    if point.command == "archive":
        images = [make_image(inputs / f"case{k}.png", k) for k in range(ARCHIVE_IMAGES)]
        command = [*COMMAND, "analyze", str(inputs), "--workers", "1", *HDOG]
    else:
        images = [make_image(inputs / "case.png", 4)]
        options = HDOG if point.command == "analyze" else ["--method", "hdog", "--spacing", "0.07"]
        command = [*COMMAND, point.command, str(images[0]), *options]
    out = workdir / "out"
    return [*command, "--out", str(out)], out, images


@dataclass
class Outcome:
    """What one interrupted run did: its exit code, its last stderr line and what is wrong (empty: kept its word)."""

    returncode: int
    last_line: str
    leftovers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def expected_files(point: Point, workdir: Path) -> set[str]:
    """The files an uninterrupted run of ``point.command`` writes (one run, into ``workdir``)."""
    command, out, _ = _arguments(point, workdir)
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return {p.name for p in out.iterdir()}


def paused_at(point_name: str, marker: Path) -> dict:
    """The environment of a run that pauses at ``point_name`` and writes ``marker`` when it gets there."""
    return {**os.environ, "CALCIFICATION_PAUSE_AT": point_name, "CALCIFICATION_PAUSE_MARKER": str(marker)}


def interrupt_at(point: Point, sig: int, workdir: Path, complete: set[str] = frozenset()) -> Outcome:
    """Run ``point.command`` into ``workdir/out``, send ``sig`` when it reaches ``point`` and check the result;
    ``complete`` is the listing of an uninterrupted run (needed for committed points)."""
    command, out, images = _arguments(point, workdir)
    out.mkdir()
    (out / "keep.txt").write_text("a file that was there before")
    marker = workdir / "paused"
    environment = paused_at(point.name, marker)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True
    )
    reached = wait_for_marker(marker, process)
    if reached and sig == signal.SIGINT:
        os.killpg(process.pid, sig)  # as Ctrl-C in a terminal: to every process of the group (Dask workers too)
    elif reached:
        process.send_signal(sig)  # as a supervisor stopping the program
    stdout, stderr = process.communicate(timeout=600)
    lines = stderr.strip().splitlines()
    outcome = Outcome(process.returncode, lines[-1] if lines else "")
    if not reached:
        outcome.problems.append(f"the run never reached {point.name!r} (exit {process.returncode}): {stderr[-500:]}")
        return outcome
    if process.returncode != 128 + sig:
        outcome.problems.append(f"signal lost: exit {process.returncode}, expected {128 + sig}")
    if "Traceback" in stderr:
        outcome.problems.append("a traceback: " + stderr[-800:])
    names = {p.name for p in out.iterdir()}
    outcome.leftovers = sorted(n for n in names if n.startswith("partial_"))
    if point.command == "archive":
        _check_archive(out, images, outcome)
    elif point.committed:
        _check_everything(images, names, complete | {"keep.txt"}, stdout, outcome)
    else:
        outcome.leftovers += sorted(names - {"keep.txt"})
        if not outcome.last_line.endswith(f"interrupted; nothing was written for {images[0]}"):
            outcome.problems.append(f"message does not say nothing was written: {outcome.last_line!r}")
    return outcome


def wait_for_marker(marker: Path, process: subprocess.Popen, timeout_s: float = 600.0) -> bool:
    """Wait until the run has written ``marker`` (it is paused at the point); False if it ended first."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if marker.exists():
            return True
        if process.poll() is not None:
            return marker.exists()
        time.sleep(0.01)  # polling the marker file: the run waits at the point, so no moment is missed
    return False


def _check_everything(images, names: set, complete: set, stdout: str, outcome: Outcome) -> None:
    """After the commit: every file of a clean run is there, each listed as written, and the message says so."""
    missing, extra = complete - names, names - complete
    outcome.leftovers += sorted(f"extra {n}" for n in extra if not n.startswith("partial_"))
    outcome.leftovers += sorted(f"missing {n}" for n in missing)
    written = {Path(line[len("wrote ") :]).name for line in stdout.splitlines() if line.startswith("wrote ")}
    if written != complete - {"keep.txt"}:
        outcome.problems.append(f"files written but not listed: {sorted(complete - {'keep.txt'} - written)}")
    if f"interrupted after everything was written for {images[0]}" not in outcome.last_line:
        outcome.problems.append(f"message does not say everything was written: {outcome.last_line!r}")


def _check_archive(out: Path, images, outcome: Outcome) -> None:
    """Every image either done with every recorded file verified, or pending with no file of its name; the counts
    in the message match the manifest."""
    from calcification.logic.workflows.archive_run import DONE, MANIFEST_NAME, PENDING, read_manifest
    from calcification.logic.workflows.archive_run.manifest import file_sha256

    records = read_manifest(out / MANIFEST_NAME)
    done = pending = 0
    for image in images:
        record = records.get(str(image.resolve()))
        files = sorted(p.name for p in out.iterdir() if p.name.startswith(f"{image.stem}."))
        if record is not None and record.status == DONE:
            done += 1
            bad = [
                n for n, digest in record.outputs.items() if not (out / n).is_file() or file_sha256(out / n) != digest
            ]
            outcome.leftovers += [f"unverified {n}" for n in bad]
            outcome.leftovers += [f"unrecorded {n}" for n in files if n not in record.outputs]
        else:
            pending += record is not None and record.status == PENDING
            outcome.leftovers += [f"{image.stem} not done: {n}" for n in files]
    if f"interrupted; {done} images done and kept, {pending} pending" not in outcome.last_line:
        outcome.problems.append(f"message does not match the manifest ({done} done): {outcome.last_line!r}")
    if done + pending != len(images):
        outcome.problems.append(f"{len(images) - done - pending} images neither done nor pending")


def signal_for(run: int) -> int:
    """SIGINT for even runs, SIGTERM for odd ones: each point is interrupted by both."""
    return signal.SIGINT if run % 2 == 0 else signal.SIGTERM
