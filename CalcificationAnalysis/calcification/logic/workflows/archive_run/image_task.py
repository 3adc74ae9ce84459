"""One Dask task of an archive run: analyse one image into the output folder, or confirm its earlier outputs.

The task runs on a worker. It receives only the input path, the output folder, the run settings (names, not the
model: each worker loads the model once, see :mod:`.worker_setup`) and the input's earlier manifest record; it
returns the image's new :class:`ImageRecord`. Its files are written as ``analyze`` writes them (temporary names,
renamed into place, all of the image's files or none), so a task that fails or is cancelled leaves none of its own
files, and one that a killed worker never finished is redone in full by another worker.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from ....core.atomic_files import all_or_nothing
from ....core.errors import CalcificationError
from ....core.image import name_from_path
from ....core.interruption import StopRequested
from ....core.segmentation import SegmenterChoice
from .manifest import DONE, FAILED, PENDING, ImageRecord, file_sha256, input_identity, is_verified
from .stop_requests import stoppable_task


@dataclass(frozen=True)
class ArchiveSettings:
    """What every image of an archive run is analysed with (the arguments of ``analyze_files``).

    Attributes
    ----------
    segmenter : SegmenterChoice
        Method, model (a name or folder every worker can read), threshold, device.
    classifier : str, False or None
        Classifier name or folder; None the shipped default, False none.
    spacing_mm : (float, float), optional
        Pixel spacing overriding the files'.
    """

    segmenter: SegmenterChoice = SegmenterChoice()
    classifier: object = None
    spacing_mm: Optional[tuple[float, float]] = None

    def fingerprint(self) -> str:
        """The settings that change the outputs, as text: a verified output is reused only under the same text.
        The device is left out (the same model gives the same result on CPU and GPU, to rounding)."""
        segmenter = {k: v for k, v in dataclasses.asdict(self.segmenter).items() if k != "device"}
        spacing = None if self.spacing_mm is None else [float(v) for v in self.spacing_mm]
        return json.dumps(
            {"segmenter": segmenter, "classifier": self.classifier, "spacing_mm": spacing}, sort_keys=True, default=str
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _plain(value):
    """JSON-ready copy of a table cell (numpy numbers become Python numbers)."""
    return value.item() if hasattr(value, "item") else value


def analyze_image(
    path: str,
    out_dir: str,
    settings: ArchiveSettings,
    previous: Optional[ImageRecord],
    also_write: Optional[Callable] = None,
) -> ImageRecord:
    """Analyse the image ``path`` into ``out_dir`` (the files of ``calcification analyze``), unless ``previous``
    records outputs that are still verified (then it is returned with ``reused=True``).

    ``also_write(analyzed, written)``, when given, writes more files of the image (e.g. its DICOM SEG and SR) and
    appends their paths to ``written``: they are kept, checksummed and verified with the others, all or none.
    The outputs are named by the file's name (a fetched DICOMweb instance's is its SOP Instance UID): tasks cannot
    see each other's names, so ``analyze``'s patient, side and view names (made unique within one process) would let
    two screening rounds of one breast overwrite each other; file names are checked unique before the run.

    Returns
    -------
    ImageRecord
        ``done`` with the outputs' checksums and table rows, or ``failed`` with a one-line reason: an unusable
        image fails its own task only.
    """
    out, fingerprint = Path(out_dir), settings.fingerprint()
    if is_verified(previous, out, fingerprint):
        return dataclasses.replace(previous, reused=True)
    started = time.perf_counter()
    record = ImageRecord(
        input=path,
        name=name_from_path(path),
        settings=fingerprint,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    try:
        size, mtime_ns = input_identity(Path(path))
        with stoppable_task():
            done = _analyze_into(Path(path), out, settings, also_write)
    except StopRequested:  # the run was interrupted: this image's files were rolled back
        return dataclasses.replace(record, status=PENDING)
    except CalcificationError as exc:
        error = str(exc)
    except (OSError, MemoryError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a library failing on one odd image must not end a run of thousands
        error = f"unexpected {type(exc).__name__}: {exc}"
    else:
        return dataclasses.replace(
            record,
            status=DONE,
            input_size=size,
            input_mtime_ns=mtime_ns,
            seconds=time.perf_counter() - started,
            finished=_now(),
            **done,
        )
    error = " ".join(error.split()) or "failed without a message"
    return dataclasses.replace(
        record, status=FAILED, error=error, seconds=time.perf_counter() - started, finished=_now()
    )


def _analyze_into(path: Path, out: Path, settings: ArchiveSettings, also_write: Optional[Callable] = None) -> dict:
    """Run ``analyze``'s per-image step; the record fields of the result (outputs with checksums, table rows)."""
    from ..analysis_workflow import feature_row
    from ..folder_outputs import SUMMARY_COLUMNS, BatchSettings, analyze_one, summary_row
    from ..result_lines import result_line, result_notes
    from .worker_setup import worker_classifier

    written: list[Path] = []
    classifier = worker_classifier(settings.classifier)
    batch = BatchSettings(out, settings.segmenter, settings.spacing_mm, classifier, name_from_tags=False)
    with all_or_nothing():  # this image's files, all or none
        analyzed = analyze_one(path, batch, None, written, set())
        if also_write is not None:
            also_write(analyzed, written)
        outputs = {p.name: file_sha256(p) for p in written}
    features = {key: _plain(value) for key, value in feature_row(analyzed.run, analyzed.run.name).items()}
    summary = dict(zip(SUMMARY_COLUMNS, map(_plain, summary_row(analyzed)), strict=True))
    said = {"result_line": result_line(analyzed), "notes": result_notes(analyzed)}  # printed by the driver
    return {"outputs": outputs, "features": features, "summary": summary, **said}
