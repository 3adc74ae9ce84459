"""Ctrl-C (SIGINT) and SIGTERM without races: the one owner of how a signal stops a run.

A Python signal handler runs between any two bytecodes of the main thread, so an exception raised straight from it
can land anywhere: between a file's rename into place and its record for a rollback, inside a commit, or inside a
``__del__`` method or a callback whose exceptions Python only prints and drops (then the signal is lost). Here:

- :func:`handling_signals` installs the command line's handlers. A signal is first *recorded* (it stays pending until
  the command has reported it), then raised as :class:`KeyboardInterrupt` (SIGINT) or :class:`Terminated` (SIGTERM)
  where the main thread is, unless a :func:`deferred` block is running: such a block (a rename and its record, a
  rollback, a commit) finishes first and the signal is raised when it ends.
- :func:`raise_if_interrupted`, called at every step of long work (each progress report, before each file is put in
  place, before a commit), raises a pending signal again, so one whose exception was swallowed still stops the run.
- :func:`hold_signals` (after a run has committed its files): later signals are only recorded; the command then
  finishes its report and says that everything was written (:func:`pending_signal`). A command that goes on to more
  files (the next image of a PACS run) calls :func:`release_signals` first, which raises a held signal there.
- :func:`stoppable`: a thread that cannot receive signals (a Dask task) is stopped at the same steps by a check of
  its own, raising :class:`StopRequested`, a :class:`~.errors.CancelledError`.
- :func:`test_point`: with ``CALCIFICATION_PAUSE_AT=NAME`` and ``CALCIFICATION_PAUSE_MARKER=FILE`` in the
  environment the process writes FILE when it reaches the point NAME and waits there for a signal (or a stop request),
  so tests interrupt it at exactly that point instead of guessing a moment with a sleep.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from .errors import CancelledError

#: Longest wait at a test point (s): a test that never sends its signal still ends.
_PAUSE_LIMIT_S = 120.0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that every ``finally`` and rollback runs, as for Ctrl-C."""


class StopRequested(CancelledError):
    """A run this thread's work belongs to was interrupted; its files are rolled back, nothing of it is kept."""


_state = {"pending": None, "installed": False, "held": False}
_local = threading.local()


def _depth() -> int:
    return getattr(_local, "depth", 0)


def _exception_for(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _handler(signum, frame) -> None:
    if _state["pending"] is None:
        _state["pending"] = signum  # recorded first: whatever happens to the exception, the signal is not lost
    if _depth() > 0 or _state["held"]:
        return  # raised when the deferred block ends, or reported by the command after its files are written
    raise _exception_for(_state["pending"])


def pending_signal() -> Optional[int]:
    """The signal this process received and has not yet reported (None: none)."""
    return _state["pending"]


def exit_code(signum: int) -> int:
    """The shell's exit code of a run ended by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


@contextmanager
def handling_signals() -> Iterator[None]:
    """Install the handlers of SIGINT and SIGTERM for the block (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    _state.update(pending=None, installed=True, held=False)
    for signum in previous:
        signal.signal(signum, _handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.update(pending=None, installed=False, held=False)


def signal_reported() -> None:
    """The command has told the user about the pending signal: nothing more to report, later signals are held."""
    _state["pending"] = None
    hold_signals()


def release_signals() -> None:
    """More work follows a commit (the next image of a PACS run): signals raise again, a held one at once."""
    if threading.current_thread() is not threading.main_thread():
        _local.held = False
        raise_if_interrupted()
    elif _state["held"]:
        _state["held"] = False
        raise_if_interrupted()


def hold_signals() -> None:
    """From now on until :func:`release_signals` or the handlers are removed, signals are recorded only (the run's
    files are complete); in another thread, its stop check is not looked at until then."""
    if threading.current_thread() is not threading.main_thread():
        _local.held = True
    elif _state["installed"]:
        _state["held"] = True


@contextmanager
def deferred() -> Iterator[None]:
    """A block that a signal does not cut in two: a signal arriving inside is raised when the block ends (unless an
    exception is already on its way out, or the signals are held)."""
    _local.depth = _depth() + 1
    try:
        yield
    finally:
        _local.depth -= 1
    raise_if_interrupted()


def raise_if_interrupted() -> None:
    """Raise the pending signal (main thread) or :class:`StopRequested` (a thread whose :func:`stoppable` check says
    stop); nothing inside a :func:`deferred` block or once signals are held."""
    if _depth() > 0:
        return
    if threading.current_thread() is threading.main_thread():
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):
            return  # the signal is already unwinding the run: let the clean-up around us finish
        if _state["pending"] is not None and not _state["held"]:
            raise _exception_for(_state["pending"])
        return
    check = getattr(_local, "stop_check", None)
    if check is not None and not getattr(_local, "held", False) and check():
        raise StopRequested("The run was interrupted; nothing of this image was kept.")


@contextmanager
def stoppable(check: Callable[[], bool]) -> Iterator[None]:
    """Work in this (non-main) thread stops at its next step once ``check()`` is True (:class:`StopRequested`)."""
    previous = getattr(_local, "stop_check", None), getattr(_local, "held", False)
    _local.stop_check, _local.held = check, False
    try:
        yield
    finally:
        _local.stop_check, _local.held = previous


def _stop_wanted() -> bool:
    if threading.current_thread() is threading.main_thread():
        return _state["pending"] is not None
    check = getattr(_local, "stop_check", None)
    return check is not None and check()


def test_point(name: str) -> None:
    """A named point where a test may interrupt the run (see the module docstring); nothing unless asked for."""
    if os.environ.get("CALCIFICATION_PAUSE_AT") != name:
        return
    marker = os.environ.get("CALCIFICATION_PAUSE_MARKER")
    if not marker or Path(marker).exists():
        return  # one pause per run: the first process or thread to reach the point
    try:
        with open(marker, "x", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    except FileExistsError:
        return
    end = time.monotonic() + _PAUSE_LIMIT_S
    while not _stop_wanted() and time.monotonic() < end:
        time.sleep(0.002)  # the signal handler runs here, as it would at this point of a real run
