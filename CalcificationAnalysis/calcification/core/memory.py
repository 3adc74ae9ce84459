"""How much memory the machine has, so that work that cannot fit is refused before it allocates anything."""

from __future__ import annotations

import os

from .errors import InputError


def physical_memory_bytes() -> int:
    """Physical memory of the machine in bytes (0 when the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


def check_fits_in_memory(needed_bytes: int, what: str) -> None:
    """:class:`InputError` when ``needed_bytes`` exceed the machine's physical memory.

    Parameters
    ----------
    needed_bytes : int
        Estimated peak memory of the work, bytes.
    what : str
        The work, as the start of the message (e.g. "A 100000 x 100000 synthetic mammogram").
    """
    total = physical_memory_bytes()
    if total and needed_bytes > total:
        raise InputError(
            f"{what} needs about {needed_bytes / 2**30:,.0f} GiB of memory; this machine has "
            f"{total / 2**30:,.0f} GiB. Choose a smaller size."
        )
