"""A terminal progress bar that plugs into the library's ``progress(fraction, message)`` callbacks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def terminal_progress(description: str, enabled: bool = True) -> Iterator[Callable[[float, str], bool]]:
    """Yield a progress callback that draws a bar on stderr (nothing when ``enabled`` is False or stderr is no TTY
    and the work is quick); the bar is closed when the block ends, even on error."""
    bar = tqdm(
        total=100,
        desc=description,
        unit="%",
        disable=not enabled,
        file=sys.stderr,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}",
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
