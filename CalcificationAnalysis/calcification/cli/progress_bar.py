"""A terminal progress bar that plugs into the library's ``progress(fraction, message)`` callbacks; where stderr is
no terminal (a log file, a pipe, a CI job) plain lines say the same, at most one every few seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Seconds between two plain progress lines, and before the first: a quick run (or a refused input, whose one-line
#: error must stand alone) prints none.
LINE_INTERVAL_S = 5.0


def time_left_text(elapsed_s: float, fraction: float) -> str:
    """ "about 25 s left" (or "about 1 min 40 s left"), extrapolated linearly from the share done; "" before 2 %."""
    if fraction < 0.02 or fraction >= 1.0:
        return ""
    seconds = int(round(elapsed_s * (1.0 - fraction) / fraction))
    return f"about {seconds // 60} min {seconds % 60} s left" if seconds >= 60 else f"about {seconds} s left"


def plain_progress_lines(description: str, stream=None, clock=time.monotonic) -> Callable[[float, str], bool]:
    """A progress callback that writes ``description: 35% step, about 25 s left`` lines to ``stream`` (stderr) at
    most once every :data:`LINE_INTERVAL_S` seconds, the first after that long."""
    last = {"time": clock()}
    start = last["time"]

    def callback(fraction: float, message: str) -> bool:
        now = clock()
        if now - last["time"] < LINE_INTERVAL_S:
            return True
        left = time_left_text(now - start, fraction)
        print(
            f"{description}: {100 * fraction:3.0f}% {message}" + (f", {left}" if left else ""),
            file=stream or sys.stderr,
            flush=True,
        )
        last["time"] = now
        return True

    return callback


@contextmanager
def terminal_progress(
    description: str, enabled: bool = True, lines_without_terminal: bool = False
) -> Iterator[Callable[[float, str], bool]]:
    """Yield a progress callback that draws a bar on stderr (nothing when ``enabled`` is False); the bar shows the
    time left and is closed when the block ends, even on error. With ``lines_without_terminal`` and no bar, plain
    lines with the time left are written instead (:func:`plain_progress_lines`), so a long run in a log or pipe
    still says how far it is."""
    if not enabled and lines_without_terminal:
        yield plain_progress_lines(description)
        return
    from tqdm import tqdm  # here: `calcification --help` imports this module

    bar = tqdm(
        total=100,
        desc=description,
        unit="%",
        disable=not enabled,
        file=sys.stderr,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} left {postfix}",
    )

    def callback(fraction: float, message: str) -> bool:
        bar.n = round(100 * fraction)
        bar.set_postfix_str(message, refresh=False)
        bar.refresh()
        return True

    try:
        yield callback
    finally:
        bar.close()
