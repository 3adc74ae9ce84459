"""The inputs of an archive run: mammogram files, folders searched for them, and list files of paths.

Every input becomes one absolute file path, each once, in a stable order (the order given; a folder's files sorted).
Output files are named after the input's file name (:func:`calcification.core.image.name_from_path`), so two inputs
with the same name are refused before any work, as ``analyze`` refuses them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

from ....core.errors import InputError
from ....core.image import name_from_path
from ....core.io.raster_reader import RASTER_SUFFIXES, is_raster_signature
from ....core.io.readable import unreadable_error
from ....core.io.volume_file_reader import VOLUME_SUFFIXES

#: Suffixes of files a folder search takes without looking inside (DICOM, pictures, volumes).
_KNOWN_SUFFIXES = (".dcm", ".dicom") + RASTER_SUFFIXES + VOLUME_SUFFIXES
#: Files the product writes (segmentations, probability maps, overlays): never taken from a folder as inputs.
_OUTPUT_SUFFIXES = (".seg.nrrd", ".probability.nrrd", ".overlay.png")


def _looks_like_mammogram(path: Path) -> bool:
    """True for a known suffix or, for PACS exports without one, a DICOM or picture signature in the first bytes."""
    if path.name.startswith((".", "partial_")) or path.name.lower().endswith(_OUTPUT_SUFFIXES):
        return False
    if path.name.lower().endswith(_KNOWN_SUFFIXES):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM" or is_raster_signature(head)


def _folder_files(folder: Path, skipped: Optional[Path]) -> list[Path]:
    found = []

    def refuse(error: OSError) -> None:  # os.walk skips a folder it cannot list; the user must hear of it
        if isinstance(error, PermissionError):
            raise unreadable_error(error.filename or folder, "folder")

    for root, folders, files in os.walk(folder, onerror=refuse):
        folders[:] = sorted(f for f in folders if skipped is None or (Path(root) / f).resolve() != skipped)
        found += [Path(root) / name for name in sorted(files) if _looks_like_mammogram(Path(root) / name)]
    return found


def _listed_paths(list_file: Path) -> list[Path]:
    """Paths of a list file: one per line; blank lines and lines starting with ``#`` skipped; relative paths are
    relative to the list file's folder."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the list file {list_file}: {exc}.") from exc
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return [p if p.is_absolute() else list_file.parent / p for p in map(Path, entries)]


def collect_inputs(
    inputs: Iterable[os.PathLike | str],
    list_files: Sequence[os.PathLike | str] = (),
    out_dir: Optional[os.PathLike | str] = None,
) -> list[Path]:
    """Absolute paths of every mammogram named by ``inputs`` (files or folders) and ``list_files``.

    A folder contributes every file under it with a mammogram suffix or signature, except the product's own outputs
    and anything under ``out_dir``; a path given directly is taken as it is (an unreadable one fails its own task
    later, with the reader's message).

    Raises
    ------
    InputError
        A path that does not exist, an unreadable list file, no input at all, or two inputs whose outputs would
        have the same name.
    """
    given = [Path(p) for p in inputs]
    for list_file in list_files:
        given += _listed_paths(Path(list_file))
    paths: list[Path] = []
    for path in given:
        if path.is_dir():
            paths += _folder_files(path, None if out_dir is None else Path(out_dir).resolve())
        elif path.exists():
            paths.append(path)
        else:
            raise InputError(f"{path} does not exist.")
    unique = list(dict.fromkeys(p.resolve() for p in paths))
    if not unique:
        raise InputError("No mammogram file found in the inputs; give files, folders or a list file.")
    _refuse_name_clashes(unique)
    return unique


def _refuse_name_clashes(paths: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        name = name_from_path(path)
        if name in seen:
            raise InputError(
                f"Two inputs are named {name!r} ({seen[name]} and {path}); their outputs would "
                "overwrite each other: analyse them into different folders."
            )
        seen[name] = path
