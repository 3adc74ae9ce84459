"""Tables that several runs share in one output folder (``features.csv``, ``summary.csv``, ``breasts.csv``).

Each run merges its rows into what the folder's table already holds, under an exclusive lock on the folder: a row
per image (per breast), the newest run's row replacing an older one of the same image, so two runs into one folder
never lose each other's images and never list one twice.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ...core.reporting.csv_cells import restore_cell


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


def merged_rows(
    path: Path, columns: Sequence[str], new_rows: list[dict], cases: set, case_columns: Sequence[str] = ("case_id",)
) -> list[dict]:
    """The rows of the table at ``path`` that name none of ``cases`` in ``case_columns``, then ``new_rows``.

    A missing or unreadable table, or one with other columns (an older version's), contributes nothing.
    """
    kept = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if list(reader.fieldnames or []) == list(columns):
                for row in reader:
                    row = {key: restore_cell(value or "") for key, value in row.items() if key is not None}
                    if not any(row.get(column) in cases for column in case_columns):
                        kept.append(row)
    except (OSError, UnicodeDecodeError, csv.Error):
        kept = []
    return kept + [{column: row.get(column, "") for column in columns} for row in new_rows]
