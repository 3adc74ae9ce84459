"""Tables that several runs share in one output folder (``features.csv``, ``summary.csv``, ``breasts.csv``).

Each run merges its rows into what the folder's table already holds, under an exclusive lock on the folder: a row
per image (per breast), the newest run's row replacing an older one of the same image, so two runs into one folder
never lose each other's images and never list one twice. Columns are matched by name, so tables written by plain
and archive runs, or by another version, merge without losing a row.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ...core.errors import InputError
from ...core.reporting.csv_cells import restore_cell

_LOG = logging.getLogger(__name__)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself (no lock file is left behind); a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # Windows: one run per folder at a time, as documented
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


@dataclass(frozen=True)
class MergedTable:
    """A folder table after a merge: its columns (this run's, then any only the earlier table had) and its rows
    (dicts keyed by column name)."""

    columns: tuple[str, ...]
    rows: list[dict]


def merged_table(
    path: Path, columns: Sequence[str], new_rows: list[dict], cases: set, case_columns: Sequence[str] = ("case_id",)
) -> MergedTable:
    """The rows of the table at ``path`` that name none of ``cases`` in ``case_columns``, then ``new_rows``.

    Columns are matched by name, never by position: a table written in another column order (an archive run's, or
    an older or newer version's with other columns) keeps every row; a column only the earlier table has is kept
    after ``columns``, a column it lacks is left empty. A table that cannot be read at all is renamed aside
    (``<name>.unreadable-<UTC time>.csv``) with a warning, never overwritten; a row with more cells than the header
    keeps its named cells, with a warning.
    """
    earlier_columns, earlier_rows = _read_table(path)
    merged = [*columns, *(c for c in earlier_columns if c not in columns)]
    kept = [r for r in earlier_rows if not any(r.get(c) in cases for c in case_columns)]
    rows = [{c: r.get(c, "") for c in merged} for r in [*kept, *new_rows]]
    return MergedTable(tuple(merged), rows)


def _read_table(path: Path) -> tuple[list[str], list[dict]]:
    """(header names, rows as dicts) of the CSV at ``path``; nothing when it does not exist."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [(name or "").strip() for name in reader.fieldnames or []]
            reader.fieldnames = columns
            rows, long_rows = [], 0
            for row in reader:
                long_rows += row.pop(None, None) is not None
                rows.append({key: restore_cell(value or "") for key, value in row.items()})
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        _set_aside(path, exc)
        return [], []
    if long_rows:
        _LOG.warning("%d row(s) of %s had more cells than its header; the extra cells were left out.", long_rows, path)
    return columns, rows


def _set_aside(path: Path, reason: Exception) -> None:
    """Rename an unreadable table out of the way (its rows cannot be merged, and must not be lost)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.stem}.unreadable-{stamp}{path.suffix}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise InputError(f"Cannot read {path} ({reason}) nor move it aside ({exc}); move it away yourself.") from exc
    _LOG.warning("Could not read %s (%s); kept it as %s and started a new table.", path, reason, aside.name)
