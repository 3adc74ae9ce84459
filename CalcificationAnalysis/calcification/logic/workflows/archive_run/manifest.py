"""The run manifest of an archive run: one record per input image, in ``OUT/manifest.jsonl``.

A record says what happened to one input (``done``, ``failed`` or ``pending``), which files it wrote and their
SHA-256 checksums, how long it took and on which worker, the error message of a failed image, and the rows the
folder's ``features.csv`` / ``summary.csv`` / ``breasts.csv`` are assembled from.

The file is a JSON-lines log: the driver appends a record as each image finishes (flushed and synced, so a killed
driver loses at most the line being written, and a half line is ignored when read), and rewrites it with one record
per input, atomically, at the start and the end of a run. The newest record of an input wins.

A ``done`` record is *verified* when the input is unchanged (size and modification time), the run settings are the
same, and every output file exists with its recorded checksum; a rerun skips verified images and redoes the rest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ....core.atomic_files import write_text_atomically
from ....core.errors import InputError

_LOG = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
DONE, FAILED, PENDING = "done", "failed", "pending"


@dataclass(frozen=True)
class ImageRecord:
    """What an archive run did with one input image.

    Attributes
    ----------
    input : str
        Absolute path of the input file, or the SOP Instance UID of a DICOMweb instance (the record's key).
    name : str
        Name of its output files (``<name>.seg.nrrd``, ...).
    status : str
        ``done``, ``failed`` or ``pending`` (not finished: the run was stopped first).
    settings : str
        The run settings the outputs were made with (:meth:`ArchiveSettings.fingerprint`).
    input_size, input_mtime_ns : int
        The input file's size (bytes) and modification time (ns) when it was analysed.
    outputs : dict
        Output file name (in the output folder) -> SHA-256 hex digest.
    seconds : float
        Wall time of the image's task on its worker (s).
    worker : str
        ``host:pid`` of the process that analysed it.
    error : str
        One-line reason of a failed image.
    finished : str
        When it finished, ISO 8601 UTC.
    reused : bool
        True when a rerun found the outputs verified and skipped the image.
    features, summary : dict
        Its ``features.csv`` and ``summary.csv`` rows.
    source : str
        DICOMweb inputs: ``study S, series R, instance I`` (UIDs only); "" for files.
    stored : list
        DICOMweb inputs analysed with ``store``: the result objects the server holds (``SEG <uid>``, ``SR <uid>``).
    result_line, notes : str, list
        What ``analyze`` prints for the image (:mod:`calcification.logic.workflows.result_lines`).
    """

    input: str
    name: str
    status: str = PENDING
    settings: str = ""
    input_size: int = -1
    input_mtime_ns: int = -1
    outputs: dict = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""
    error: str = ""
    finished: str = ""
    reused: bool = False
    features: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    source: str = ""
    stored: list = field(default_factory=list)
    result_line: str = ""
    notes: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Optional[ImageRecord]:
        """The record of one manifest line; None for a damaged or foreign line, or one whose fields have the wrong
        types or whose outputs are not plain file names in the output folder (logged: a crafted manifest must not
        make a resume read files elsewhere, e.g. ``../../victim`` or ``/etc/hostname``)."""
        try:
            data = json.loads(line)
            names = {f.name for f in dataclasses.fields(cls)}
            record = cls(**{key: value for key, value in data.items() if key in names})
        except (ValueError, TypeError, AttributeError):
            return None
        problem = record._problem()
        if problem:
            _LOG.warning("Ignoring a manifest record (%s): %s.", str(record.name)[:80], problem)
            return None
        return record

    def _problem(self) -> str:
        """Why this record cannot be trusted, or ""."""
        for name, kind in _FIELD_TYPES.items():
            if not isinstance(getattr(self, name), kind):
                return f"its {name!r} has the wrong type"
        outside = [name for name in self.outputs if not is_plain_file_name(name)]
        if outside:
            return f"it names output files outside the output folder ({str(outside[0])[:80]!r})"
        if not all(isinstance(digest, str) for digest in self.outputs.values()):
            return "its output checksums are not text"
        return ""


#: Field -> the JSON type a record's field must have (a crafted manifest gets no further than this).
_FIELD_TYPES = {
    "input": str,
    "name": str,
    "status": str,
    "settings": str,
    "outputs": dict,
    "error": str,
    "features": dict,
    "summary": dict,
    "source": str,
    "stored": list,
    "reused": bool,
    "input_size": int,
    "input_mtime_ns": int,
    "seconds": (int, float),
}


def is_plain_file_name(name) -> bool:
    """True for a file name with no folder part (no ``/``, ``\\``, ``.`` or ``..``, no NUL): what every
    output an archive run writes is called, in the output folder itself."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(c in name for c in "/\\\0")
        and Path(name).name == name
    )


def file_sha256(path: Path) -> str:
    """SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path: Path) -> dict[str, ImageRecord]:
    """Input path -> its newest record in the manifest at ``path`` (empty when there is none)."""
    records: dict[str, ImageRecord] = {}
    if path.exists() and not path.is_file():
        raise InputError(f"{path} is not a file; move it away (an archive run keeps its manifest there).")
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = ImageRecord.from_json(line)
                if record is not None:
                    records[record.input] = record
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return {}  # unreadable: every image is redone, nothing is trusted
    return records


def write_manifest(path: Path, records: Iterable[ImageRecord]) -> Path:
    """Replace the manifest at ``path`` with ``records`` (one line each), atomically."""
    return write_text_atomically(path, "".join(record.to_json() + "\n" for record in records))


class ManifestLog:
    """Appends records to a manifest as images finish; each line is flushed and synced to disk."""

    def __init__(self, path: Path):
        self._handle = open(path, "a", encoding="utf-8")

    def append(self, record: ImageRecord) -> None:
        self._handle.write(record.to_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def input_identity(path: Path) -> tuple[int, int]:
    """(size in bytes, modification time in ns) of the input file."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def is_verified(record: Optional[ImageRecord], out_dir: Path, settings: str) -> bool:
    """True when ``record`` is done with ``settings``, its input file is unchanged and every output file it lists is
    in ``out_dir`` with its recorded checksum."""
    try:  # the cheap check first
        unchanged = record is not None and input_identity(Path(record.input)) == (
            record.input_size,
            record.input_mtime_ns,
        )
    except OSError:
        return False
    return unchanged and outputs_verified(record, out_dir, settings)


def outputs_verified(record: Optional[ImageRecord], out_dir: Path, settings: str) -> bool:
    """True when ``record`` is done with ``settings`` and every output file it lists is in ``out_dir`` with its
    recorded checksum (all that is checked for a DICOMweb instance: a SOP Instance UID names one unchanging
    object)."""
    if record is None or record.status != DONE or record.settings != settings or not record.outputs:
        return False
    try:
        return all(file_sha256(out_dir / name) == digest for name, digest in record.outputs.items())
    except OSError:
        return False
