"""One Dask task of an archive run over DICOMweb: fetch one mammogram instance (WADO-RS) into a temporary file on the
worker, analyse it as a file is analysed (:func:`.image_task.analyze_image`) with its DICOM SEG and SR among its
outputs (all or none), and store those two back (STOW-RS, :func:`~calcification.core.dicomweb.result_store.store_once`)
when the run stores. Its outputs are named by SOP Instance UID (``<uid>.seg.nrrd``, ``<uid>.seg.dcm``, ...), not by
patient, side and view as ``analyze`` names files: an archive holds several images of one breast (screening rounds),
and patient identifiers stay out of file names.

A rerun finds the instance's outputs verified by their checksums (the instance itself cannot change: a SOP Instance
UID names one object) and neither fetches nor analyses it again; it only stores SEG and SR an earlier run made but
did not store. A store that fails fails the instance (the message says what was stored): a rerun analyses it again,
which makes the same objects (their UIDs derive from the source), and stores only what the server still lacks.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from ....core.dicomweb.connection import connect
from ....core.dicomweb.credentials import find_credentials
from ....core.dicomweb.result_store import store_once
from ....core.dicomweb.study_instances import InstanceRef, fetch_instance
from ....core.errors import InputError
from ..dicom_results import SEG_SUFFIX, SR_SUFFIX, dicom_results_for, write_dicom_results
from ..dicomweb_analysis import without_fetched_path
from .dicomweb_inputs import InstanceSource
from .image_task import ArchiveSettings, analyze_image
from .manifest import DONE, FAILED, ImageRecord, outputs_verified


def analyze_instance(
    source: InstanceSource, ref: InstanceRef, out_dir: str, settings: ArchiveSettings, previous: Optional[ImageRecord]
) -> ImageRecord:
    """Analyse the instance ``ref`` of the server ``source`` into ``out_dir``, unless ``previous`` records outputs
    that are still verified (then returned with ``reused=True``, stored first if the run stores and they are not).

    Returns
    -------
    ImageRecord
        Keyed by the SOP Instance UID, ``source`` naming study, series and instance; ``done``, or ``failed`` with a
        one-line reason (fetch refused, not an image, does not decode, store failed): the other tasks go on.
    """
    out = Path(out_dir)
    if outputs_verified(previous, out, settings.fingerprint()):
        record = dataclasses.replace(previous, reused=True)
        return _stored(source, record, out) if source.store and len(record.stored) < 2 else record
    with tempfile.TemporaryDirectory(prefix="calcification-instance-") as work:
        fetched = Path(work) / f"{ref.sop_uid}.dcm"  # the name fetch_instance gives it
        try:
            path = fetch_instance(connect(source.url, find_credentials(source.credentials_file)), ref, Path(work))
        except InputError as exc:  # server down or refusing, an answer that is no DICOM, an unusable credentials file
            record = ImageRecord(
                input=str(fetched),
                name=ref.sop_uid,
                status=FAILED,
                settings=settings.fingerprint(),
                worker=f"{socket.gethostname()}:{os.getpid()}",
                error=" ".join(str(exc).split()),
                finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
        else:
            # fetched as <SOP Instance UID>.dcm, so its outputs are named by that UID
            record = analyze_image(str(path), str(out), settings, None, also_write=_write_seg_and_sr)
    record = dataclasses.replace(
        record,
        input=ref.sop_uid,
        source=ref.describe(),
        input_mtime_ns=-1,  # the temporary file's: meaningless once it is gone
        error=without_fetched_path(record.error, fetched),
    )
    return _stored(source, record, out) if source.store and record.status == DONE else record


def _write_seg_and_sr(analyzed, written: list) -> None:
    """The instance's ``<name>.seg.dcm`` and ``<name>.sr.dcm`` beside its other files (as ``analyze --dicomweb``)."""
    folder = analyzed.segmented.segmentation_path.parent
    write_dicom_results(dicom_results_for(analyzed), folder, analyzed.run.name, written)


def _stored(source: InstanceSource, record: ImageRecord, out: Path) -> ImageRecord:
    """``record`` after storing its SEG and SR (read back from ``out``) unless the server holds them already;
    ``failed`` with the reasons, and what was stored, when a store failed."""
    import pydicom

    client = connect(source.url, find_credentials(source.credentials_file))
    datasets = [pydicom.dcmread(out / f"{record.name}{suffix}") for suffix in (SEG_SUFFIX, SR_SUFFIX)]
    outcome = store_once(client, datasets)
    stored = [*outcome.stored, *outcome.already_present]
    if outcome.complete:
        return dataclasses.replace(record, stored=stored)
    reasons = "; ".join(reason for _, reason in outcome.failed)
    kept = f" (on the server: {', '.join(stored)})" if stored else ""
    return dataclasses.replace(record, status=FAILED, stored=stored, error=f"{reasons}{kept}")
