"""Progress reporting and cancellation for long operations.

A long operation takes ``progress: ProgressCallback`` (or ``None``). It is called with a fraction in [0, 1] and a short
message; returning ``False`` asks the operation to stop. The operation then raises :class:`CancelledError` before it
writes anything, so a cancelled run leaves the scene and the output folder as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from .errors import CancelledError
from .interruption import raise_if_interrupted, test_point

ProgressCallback = Optional[Callable[[float, str], bool]]


def report_progress(progress: ProgressCallback, fraction: float, message: str) -> None:
    """Call ``progress`` (if given) and raise :class:`CancelledError` when it returns ``False``.

    Parameters
    ----------
    progress : callable or None
        ``progress(fraction, message) -> bool``; ``None`` means nobody listens.
    fraction : float
        Share of the work done, clipped to [0, 1].
    message : str
        What is being done now, e.g. ``"Detecting candidates"``.

    Raises
    ------
    CancelledError
        When the callback returned ``False``.
    KeyboardInterrupt
        A Ctrl-C or SIGTERM arrived whose exception was lost on its way (see :mod:`.interruption`): every step of
        long work is a point where the run stops.
    """
    test_point(f"progress {message}")
    raise_if_interrupted()
    if progress is None:
        return
    if progress(min(max(float(fraction), 0.0), 1.0), message) is False:
        raise CancelledError(f"Cancelled by the user during: {message}")


def sub_progress(progress: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """A callback for one stage of a longer job: maps the stage's [0, 1] onto [start, end] of ``progress``.

    Returns None when ``progress`` is None, so stages can pass it on unconditionally.
    """
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (end - start) * fraction, message)
