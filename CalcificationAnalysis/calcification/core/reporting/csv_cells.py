"""CSV cells that a spreadsheet never runs as formulas (OWASP "CSV injection").

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets; Patient IDs and file names come from outside and may start so. Such a cell gets a leading ``'``
(OWASP's rule): the value stays readable and a spreadsheet shows it as text. Numbers, including negative ones, are
left alone; :func:`restore_cell` undoes the prefix when the product reads its own table back.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) or text.strip().lower() in ("nan", "inf", "-inf")


def safe_cell(value):
    """``value`` unchanged, or with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def restore_cell(text: str) -> str:
    """The value :func:`safe_cell` was given (for reading the product's own tables back)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) and not _is_number(text[1:]):
        return text[1:]
    return text


def safe_row(row: Iterable) -> list:
    """Every cell of ``row`` through :func:`safe_cell`."""
    return [safe_cell(value) for value in row]


class SafeDictWriter(csv.DictWriter):
    """:class:`csv.DictWriter` whose header and values go through :func:`safe_cell`."""

    def writeheader(self):
        return self.writer.writerow(safe_row(self.fieldnames))

    def _dict_to_list(self, rowdict: Mapping):
        return safe_row(super()._dict_to_list(rowdict))


def safe_writer(handle, **options):
    """A :func:`csv.writer` whose ``writerow`` / ``writerows`` neutralise formula cells."""
    return _SafeWriter(csv.writer(handle, **options))


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
