"""How the product writes a file safely: the one owner of temporary names, renames into place and rollbacks.

- A file is written to a temporary name beside it, unique to the process (``partial_<stem>_p<pid>_<random>...``), and
  renamed into place when complete: a crash or a full disk never leaves a half-written file under the final name,
  and two runs writing the same file never share a temporary name.
- Inside :func:`all_or_nothing`, every rename into place is recorded: when the block fails (an error, Ctrl-C, a
  SIGTERM turned into an exception by the command line), each file this run put in place is removed, or its earlier
  content restored, but only while it still is this run's file; a file another run has replaced since is theirs.
- Signals (:mod:`.interruption`) never cut a rename from its record, a rollback or a commit in two, and a pending
  signal stops the block before each rename and before the commit; once a block has committed, later signals are
  held (the command reports them after saying what it wrote). Temporaries this process made and did not finish are
  removed by :func:`remove_own_temporaries` when the command ends, whenever the signal came.
- Temporary files of a killed process (``SIGKILL``, power loss) are recognised by the process id in their name and
  removed by :func:`remove_stale_temporaries`, which every run calls on its output folder.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from .interruption import deferred, hold_signals, raise_if_interrupted, release_signals, test_point

#: A temporary name: ``partial_<stem>_p<pid>_<8 random characters>``, then the final name's suffix, if any.
_TEMPORARY_NAME = re.compile(r"^partial_.*_p(\d+)_[a-z0-9_]{8}(\..*)?$")


def temporary_prefix(name: str, pid: Optional[int] = None) -> str:
    """The prefix of this process's temporary names for the file ``name`` (its part before the first dot)."""
    stem = name.split(".")[0]
    return f"partial_{stem}_p{os.getpid() if pid is None else pid}_"


#: Temporaries this process made that may still exist (a signal can land between their creation and the ``try``
#: that removes them); :func:`remove_own_temporaries` removes what is left.
_OWN_TEMPORARIES: set[Path] = set()
_OWN_LOCK = threading.Lock()


def _own(path: Path) -> Path:
    with _OWN_LOCK:
        _OWN_TEMPORARIES.add(path)
    return path


def _released(path: Path) -> None:
    with _OWN_LOCK:
        _OWN_TEMPORARIES.discard(Path(path))


def temporary_file_beside(path: Path, suffix: str = "") -> Path:
    """Create an empty private temporary file in ``path``'s folder (see :func:`temporary_prefix`); returns it."""
    with deferred():
        handle, temporary = tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=suffix, dir=path.parent)
        os.close(handle)
        return _own(Path(temporary))


def temporary_folder_in(folder: Path, name: str) -> Path:
    """Create a private temporary folder in ``folder`` for staging the file ``name``; returns it."""
    with deferred():
        return _own(Path(tempfile.mkdtemp(prefix=temporary_prefix(name), dir=folder)))


def remove_own_temporaries() -> list[Path]:
    """Remove the temporary files and folders this process made that still exist (at the end of a command, also
    one stopped by a signal at any moment); returns them."""
    with _OWN_LOCK:
        leftovers = [p for p in _OWN_TEMPORARIES if os.path.lexists(p)]
        _OWN_TEMPORARIES.clear()
    for path in leftovers:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass
    return leftovers


def process_alive(pid: int) -> bool:
    """True unless process ``pid`` is known to be gone (another user's process, or one we cannot tell about, counts as
    alive: its files are left alone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or cannot tell: leave its files alone
    return True


def remove_stale_temporaries(folder: os.PathLike | str) -> list[Path]:
    """Remove the temporary files and folders that processes no longer running left in ``folder``; returns them."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY_NAME.match(entry.name)
        if match is None or process_alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass  # another run cleaning the same folder got there first
    return removed


class OutputLedger:
    """The files one run put in place: their identity after the rename, and a hard link to what they replaced."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[Optional[Path], Optional[tuple[int, int]]]] = {}

    def before_replace(self, path: Path) -> None:
        if path in self._entries:
            return
        if not path.is_file():
            self._entries[path] = (None, None)  # new: a rollback removes it once it is ours
            return
        backup = path.with_name(f"{temporary_prefix(path.name)}{secrets.token_hex(4)}.previous")
        try:
            os.link(path, backup)
        except OSError:
            backup = None  # no hard links here: a rollback can only remove
        self._entries[path] = (backup, None)

    def after_replace(self, path: Path) -> None:
        backup = self._entries.get(path, (None, None))[0]
        stat = path.stat()
        self._entries[path] = (backup, (stat.st_dev, stat.st_ino))

    def rollback(self) -> None:
        """Put back what this run replaced, remove what it added; files others replaced since stay as they are."""
        with deferred():
            self._rollback()

    def _rollback(self) -> None:
        for path, (backup, identity) in reversed(list(self._entries.items())):
            try:
                stat = path.stat()
                ours = identity is not None and (stat.st_dev, stat.st_ino) == identity
            except OSError:
                ours = False
            try:
                if ours and backup is not None:
                    os.replace(backup, path)
                elif ours:
                    path.unlink()
            except OSError:
                pass
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._entries.clear()

    def verify(self) -> None:
        """Check that every file this run put in place is there (its own, or a later run's complete copy).

        Raises
        ------
        InputError
            A file vanished while the run was writing (removed by someone else): the run is rolled back.
        """
        from .errors import InputError

        missing = [path.name for path, (_, identity) in self._entries.items() if identity and not path.exists()]
        if missing:
            raise InputError(
                f"{', '.join(missing)} vanished from {next(iter(self._entries)).parent} while it was "
                "being written; run again."
            )

    def commit(self) -> None:
        for backup, _ in self._entries.values():
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._entries.clear()


_COMMITS = {True: 0, False: 0}  # blocks committed in the main thread (True) and in other threads


def commits_in_main_thread() -> int:
    """How many :func:`all_or_nothing` blocks of the main thread have committed their files (for the command line's
    closing line: was anything kept before a signal?)."""
    return _COMMITS[True]


_CURRENT_LEDGER: contextvars.ContextVar[Optional[OutputLedger]] = contextvars.ContextVar("output_ledger", default=None)


@contextmanager
def all_or_nothing() -> Iterator[OutputLedger]:
    """Every file put in place inside the block stays only if the block succeeds (see the module docstring).

    Nested blocks belong to the outermost one.
    """
    if _CURRENT_LEDGER.get() is not None:
        yield _CURRENT_LEDGER.get()
        return
    release_signals()  # a signal held since an earlier block's commit stops the run before this block's files
    ledger = OutputLedger()
    token = _CURRENT_LEDGER.set(ledger)
    try:
        yield ledger
        test_point("before-commit")
        raise_if_interrupted()  # the last moment a signal takes everything back
        ledger.verify()
        with deferred():
            ledger.commit()
            _COMMITS[threading.current_thread() is threading.main_thread()] += 1
            hold_signals()  # everything is written: a later signal is reported, not raised
    except BaseException:
        ledger.rollback()
        raise
    finally:
        _CURRENT_LEDGER.reset(token)
    test_point("after-commit")


def current_umask() -> int:
    """The process's file-creation mask now (read from ``/proc`` on Linux without touching it; elsewhere set and put
    back at once), so files get the permissions a plain ``open()`` would give them under the umask of the moment."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def move_into_place(temporary: os.PathLike | str, path: os.PathLike | str) -> None:
    """Rename a complete temporary file to ``path`` (atomic on one file system), recorded for a rollback.

    The file gets the permissions ``open()`` would give it under the current umask first (``mkstemp`` makes private
    files), so every output of a run has the same permissions.
    """
    path = Path(path)
    raise_if_interrupted()
    if not Path(temporary).is_dir():
        os.chmod(temporary, 0o666 & ~current_umask())
    ledger = _CURRENT_LEDGER.get()
    with deferred():  # the rename and its record for a rollback, never one without the other
        if ledger is not None:
            ledger.before_replace(path)
        os.replace(temporary, path)
        test_point(f"placing {path.name}")  # renamed, not yet recorded: where a signal once left the file behind
        _released(Path(temporary))
        if ledger is not None:
            ledger.after_replace(path)
    test_point(f"placed {path.name}")


@contextmanager
def replaced_when_done(path: os.PathLike | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write to; it becomes ``path`` when the block succeeds
    and is removed whatever happens."""
    path = Path(path)
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith((".seg.nrrd", ".nii.gz")) else path.suffix
    temporary = temporary_file_beside(path, suffix)
    try:
        yield temporary
        move_into_place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: os.PathLike | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`replaced_when_done`; returns the path."""
    with replaced_when_done(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
