"""Result tables as CSV files that keep every digit, with the ``.schema.csv`` beside them that Slicer's table
reader uses for column types, units and descriptions (so ``NAME.csv`` opens in Slicer as a typed table and in any
spreadsheet as plain numbers).

Slicer's own table writer rounds doubles to 6 significant digits; measurements exported for a study must read back
exactly as computed, so the product writes the CSV itself: floats in Python's shortest round-trip form.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import numpy as np

from ..atomic_files import move_into_place, temporary_file_beside
from ..errors import InputError
from .csv_cells import safe_row

#: Header of Slicer's table schema file (vtkMRMLTableStorageNode).
SCHEMA_COLUMNS = ("columnName", "description", "unitLabel", "type", "componentNames")


def _slicer_type(values: np.ndarray) -> str:
    kind = values.dtype.kind
    return "long long" if kind in "biu" else "double" if kind == "f" else "string"


def _text(value) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def schema_path_for(path: os.PathLike | str) -> Path:
    """``NAME.schema.csv`` beside ``NAME.csv``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.schema.csv")


def write_table_csv(
    columns: Mapping[str, np.ndarray],
    path: os.PathLike | str,
    descriptions: Optional[Mapping[str, str]] = None,
    units: Optional[Mapping[str, str]] = None,
) -> tuple[Path, Path]:
    """Write ``columns`` (name -> 1-D array, all one length) to ``path`` and its schema; returns (csv, schema).

    Raises
    ------
    InputError
        Not a ``.csv`` name, columns of different lengths, or a destination that cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise InputError(f"A table file must end in .csv, got {path.name}.")
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    if len({array.shape for array in arrays.values()}) > 1 or any(a.ndim != 1 for a in arrays.values()):
        raise InputError(f"The columns of {path.name} must be one-dimensional and of one length.")
    schema_rows = [
        (name, (descriptions or {}).get(name, ""), (units or {}).get(name, ""), _slicer_type(array), "")
        for name, array in arrays.items()
    ]
    data_rows = [[_text(value) for value in row] for row in zip(*(a.tolist() for a in arrays.values()), strict=True)]
    schema = schema_path_for(path)
    _write_rows_atomically(schema, SCHEMA_COLUMNS, schema_rows)  # schema first: no NAME.csv without its schema
    _write_rows_atomically(path, list(arrays), data_rows)
    return path, schema


def _write_rows_atomically(path: Path, header, rows) -> None:
    """Write a CSV into a temporary file beside ``path`` and rename it into place (an earlier file survives a
    failure whole)."""
    try:
        temporary = temporary_file_beside(path, ".csv")
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    try:
        with open(temporary, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(safe_row(header))
            writer.writerows(safe_row(row) for row in rows)
        move_into_place(temporary, path)
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
