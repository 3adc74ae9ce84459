"""Issue 23, items 1 and 3: runs that share an output folder, fail, or are interrupted lose nothing another run
reported and leave no debris; shared tables list every image analysed into the folder exactly once."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calcification.core.errors import InputError

from interruption_harness import Point, expected_files, interrupt_at
from speck_pictures import make_image as _image

COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]


def _analyze(images, out: Path) -> list[str]:
    return [
        *COMMAND,
        "analyze",
        *map(str, images),
        "--out",
        str(out),
        "--method",
        "hdog",
        "--classifier",
        "none",
        "--spacing",
        "0.07",
    ]


def _reported(stdout: str) -> list[Path]:
    return [Path(line[len("wrote ") :]) for line in stdout.splitlines() if line.startswith("wrote ")]


def _case_ids(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["case_id"] for row in csv.DictReader(handle)]


# -- unit level: temporary names, rollback of one's own files only --------------------------------------------------


def test_two_writers_of_one_file_get_different_temporary_names(tmp_path):
    from calcification.core.atomic_files import replaced_when_done

    with replaced_when_done(tmp_path / "a.png") as first, replaced_when_done(tmp_path / "a.png") as second:
        assert first != second
        first.write_text("one")
        second.write_text("two")
    assert (tmp_path / "a.png").read_text() in ("one", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_a_failing_run_restores_what_another_run_wrote(tmp_path):
    from calcification.core.atomic_files import all_or_nothing, write_text_atomically

    with all_or_nothing():
        write_text_atomically(tmp_path / "x.seg.nrrd", "first run")
    with pytest.raises(InputError), all_or_nothing():
        write_text_atomically(tmp_path / "x.seg.nrrd", "second run")
        write_text_atomically(tmp_path / "new.csv", "second run")
        raise InputError("the second image is damaged")
    assert (tmp_path / "x.seg.nrrd").read_text() == "first run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.seg.nrrd"]


def test_a_rollback_leaves_a_file_another_run_replaced_since(tmp_path):
    from calcification.core.atomic_files import all_or_nothing, write_text_atomically

    with pytest.raises(InputError), all_or_nothing():
        write_text_atomically(tmp_path / "x.csv", "failing run")
        (tmp_path / "other").write_text("other run")  # another process finishing in between
        os.replace(tmp_path / "other", tmp_path / "x.csv")
        raise InputError("damaged")
    assert (tmp_path / "x.csv").read_text() == "other run"


def test_debris_of_a_killed_run_is_recognised_and_removed(tmp_path):
    from calcification.core.atomic_files import remove_stale_temporaries, temporary_prefix

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{temporary_prefix('case', pid=dead.pid)}abcd1234.seg.nrrd"
    stale.write_text("half")
    (tmp_path / f"{temporary_prefix('case', pid=dead.pid)}abcd1235").mkdir()
    live = tmp_path / f"{temporary_prefix('case')}abcd1236.csv"
    live.write_text("being written by this process")
    (tmp_path / "partial_results.csv").write_text("a user's own file")
    remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "partial_results.csv"])


# -- process level: the standing concurrency and signal tests ---------------------------------------------------------


def test_concurrent_runs_into_one_folder_lose_nothing(tmp_path):
    a, b, c = (_image(tmp_path / f"{name}.png", seed) for name, seed in (("a", 1), ("b", 2), ("c", 3)))
    (tmp_path / "bad.png").write_text("not a picture")
    out = tmp_path / "out"
    runs = [
        _analyze([a, b], out),
        _analyze([a, c], out),
        _analyze([b, tmp_path / "bad.png"], out),
        [*COMMAND, "segment", str(a), "--out", str(out)],
    ]
    processes = [subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for run in runs]
    results = [(p.wait(timeout=600), *p.communicate()) for p in processes]
    codes = [code for code, _, _ in results]
    assert codes == [0, 0, 2, 0], results
    assert len(results[2][2].strip().splitlines()) == 1, results[2][2]
    for _code, stdout, _ in results:
        for path in _reported(stdout):
            assert path.is_file(), f"{path} was reported written but is gone"
    for table in ("features.csv", "summary.csv"):
        assert sorted(_case_ids(out / table)) == ["a", "b", "c"], table
    assert not [p for p in out.iterdir() if p.name.startswith(("partial_", "."))]


def _wait_for(out: Path, pattern: str, process, timeout=300.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None:
        if out.is_dir() and any(out.glob(pattern)):
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize(
    "sig, point",
    [
        (signal.SIGINT, Point("analyze", "placed case.seg.nrrd")),
        (signal.SIGTERM, Point("analyze", "placing case.report.html")),  # inside the rename of the report
        (signal.SIGTERM, Point("analyze", "placed case.report.html")),  # issue 27: the report stayed
        (signal.SIGINT, Point("analyze", "before-commit")),
        (signal.SIGTERM, Point("segment", "placed case.mrb")),
        (signal.SIGINT, Point("archive", "placed case0.report.html")),  # Ctrl-C while a Dask worker writes
        (signal.SIGTERM, Point("archive", "after-commit")),  # a worker's image committed, not yet recorded
    ],
    ids=str,
)
def test_interrupted_run_leaves_nothing_and_says_so(tmp_path, sig, point):
    """Paused at a named point (the run waits there for the signal: no race with the test), then interrupted: each
    image is complete (archive runs: done, its files verified) or has no file, and the closing line says which."""
    outcome = interrupt_at(point, sig, tmp_path)
    assert outcome.returncode == (130 if sig == signal.SIGINT else 143), outcome
    assert not outcome.problems and not outcome.leftovers, outcome


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception, on purpose
def test_a_signal_whose_exception_python_drops_still_stops_the_run():
    """A handler that runs inside ``__del__`` raises into nothing (Python prints "Exception ignored" and goes on);
    the signal stays pending and the next step of the run raises it (issue 27: a lost Ctrl-C)."""
    from calcification.core.interruption import handling_signals, pending_signal
    from calcification.core.progress import report_progress

    class SignalledWhileCollected:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs at the next bytecodes, still inside __del__
                pass

    with handling_signals():
        SignalledWhileCollected()
        assert pending_signal() == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            report_progress(None, 0.5, "the next step")


def test_a_signal_held_after_a_commit_stops_the_next_image(tmp_path):
    """After one image's commit a signal is only recorded (its files are complete); a run that goes on to another
    image (a PACS run analyses one instance after the other) stops before that image's first file."""
    from calcification.core.atomic_files import all_or_nothing, write_text_atomically
    from calcification.core.interruption import handling_signals

    with handling_signals():
        with all_or_nothing():
            write_text_atomically(tmp_path / "first.csv", "complete")
        os.kill(os.getpid(), signal.SIGTERM)  # held: the first image is complete
        with pytest.raises(KeyboardInterrupt), all_or_nothing():
            write_text_atomically(tmp_path / "second.csv", "must not stay")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv"]


@pytest.mark.parametrize("command", ["analyze", "segment"])
def test_a_signal_after_the_commit_keeps_everything_and_says_so(tmp_path, command):
    """Once every file is in place the signal no longer takes it back: the run lists its files and ends with a
    line saying that everything was written, and the exit code still tells the signal."""
    complete = expected_files(Point(command, ""), tmp_path / "clean")
    outcome = interrupt_at(Point(command, "after-commit", committed=True), signal.SIGTERM, tmp_path / "run", complete)
    assert outcome.returncode == 143
    assert not outcome.problems and not outcome.leftovers, outcome


def test_killed_run_debris_is_cleaned_by_the_next_run_which_matches_a_clean_run(tmp_path):
    image = _image(tmp_path / "case.png", 5)
    clean, out = tmp_path / "clean", tmp_path / "out"
    subprocess.run(_analyze([image], clean), check=True, capture_output=True)
    process = subprocess.Popen(_analyze([image], out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not _wait_for(out, "partial_*", process):
        pytest.skip("the run ended before a temporary file appeared")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    subprocess.run(_analyze([image], out), check=True, capture_output=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in clean.iterdir())
