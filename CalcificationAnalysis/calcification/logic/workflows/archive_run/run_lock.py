"""One archive run per output folder at a time: the manifest is read at a run's start, appended to as images finish
and rewritten at its end, so a second run into the same folder would replace the first one's records (and the tables
assembled from them). The second run is refused with one line before it writes anything.

The lock is ``flock`` on a hidden file in the output folder, held for the whole run and removed at its end. A run
that is killed holds nothing (the kernel drops the lock with the process), and the next run takes the file over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ....core.errors import InputError

#: The lock file in the output folder (hidden: it is no output).
LOCK_NAME = ".calcification-archive-run.lock"


@contextmanager
def archive_run_lock(out_dir: Path) -> Iterator[None]:
    """Hold the archive-run lock of ``out_dir`` (an existing folder) for the body.

    Raises
    ------
    InputError
        Another archive run holds it.
    """
    try:
        import fcntl
    except ImportError:  # Windows: one archive run per folder, as documented
        yield
        return
    path = Path(out_dir) / LOCK_NAME
    handle = _locked(path, fcntl)
    try:
        yield
    finally:
        # Unlinked while still locked: a run that opened the old file sees it is gone (see _locked) and tries again.
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(handle)


def _locked(path: Path, fcntl) -> int:
    """A descriptor of ``path`` holding an exclusive lock on the file that is at ``path`` now."""
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(f"Cannot write into the output folder {path.parent}: {exc.strerror}.") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise InputError(
                f"Another archive run is writing into {path.parent}; wait for it to finish, "
                "or give another --out folder."
            ) from None
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:  # the holder finished and removed it between our open and our lock
            same = False
        if same:
            return handle
        os.close(handle)
