"""DICOMweb studies as the inputs of an archive run: the driver finds their mammograms (QIDO-RS) and makes one job per
MG instance; each job carries only the server's address, the instance's UIDs and where the worker finds the
credentials (:class:`InstanceSource`), never pixel data and never the credentials themselves: every worker reads them
as the command does, from the credentials file or its own environment
(:func:`calcification.core.dicomweb.credentials.find_credentials`).

A study that cannot be queried (server down, not found, no MG series) is a failed record keyed by its Study Instance
UID; its instances are not known, so it has no jobs. Instances are keyed by SOP Instance UID, so an instance listed
twice (a study filed under two patients, or named twice) is analysed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from ....core.dicomweb.connection import ServerError, connect
from ....core.dicomweb.credentials import find_credentials
from ....core.dicomweb.study_instances import find_mammograms
from ....core.errors import InputError
from .archive_jobs import ArchiveJob
from .manifest import FAILED, ImageRecord


@dataclass(frozen=True)
class InstanceSource:
    """What a worker needs to reach the server: its DICOMweb root, the credentials file (None: the worker's
    environment, else anonymous) and whether results are stored back (STOW-RS)."""

    url: str
    credentials_file: Optional[str] = None
    store: bool = False


@dataclass(frozen=True)
class DicomwebStudies:
    """The studies of an archive run on a DICOMweb server.

    Attributes
    ----------
    url : str
        DICOMweb root, e.g. ``http://pacs:8042/dicom-web``.
    study_uids : tuple of str
        Study Instance UIDs (:func:`~calcification.logic.workflows.dicomweb_analysis.read_study_list` reads a file).
    series_uid : str, optional
        Only this series (of a single study).
    store : bool
        Send each instance's SEG and SR back (STOW-RS), objects the server holds already not again.
    credentials_file : str, optional
        JSON credentials file every worker can read at this path; None: each process's environment.
    """

    url: str
    study_uids: tuple[str, ...]
    series_uid: Optional[str] = None
    store: bool = False
    credentials_file: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "study_uids", tuple(self.study_uids))
        if not self.study_uids:
            raise InputError("Give at least one Study Instance UID (--study, or --study-list FILE).")
        if self.series_uid is not None and len(self.study_uids) != 1:
            raise InputError("--series selects a series of one study; give exactly one --study with it.")
        if self.credentials_file is not None:
            object.__setattr__(self, "credentials_file", str(self.credentials_file))

    def jobs(self, settings: str) -> tuple[list[ArchiveJob], list[ImageRecord]]:
        """One job per MG instance of the studies (QIDO-RS, from this process), and a failed record per study
        that could not be queried (``settings``: the run's fingerprint, for those records).

        Raises
        ------
        InputError
            A bad address or an unusable credentials file (before any query).
        """
        from .instance_task import analyze_instance

        client = connect(self.url, find_credentials(self.credentials_file))
        source = InstanceSource(self.url, self.credentials_file, self.store)
        jobs: dict[str, ArchiveJob] = {}
        refused: list[ImageRecord] = []
        for study_uid in dict.fromkeys(self.study_uids):
            try:
                refs = find_mammograms(client, study_uid, self.series_uid)
            except ServerError as exc:
                refused.append(_refused(study_uid, str(exc), settings))
                continue
            for ref in refs:
                job = ArchiveJob(ref.sop_uid, ref.sop_uid, analyze_instance, (source, ref), ref.describe())
                jobs.setdefault(ref.sop_uid, job)
        return list(jobs.values()), refused


def _refused(study_uid: str, message: str, settings: str) -> ImageRecord:
    return ImageRecord(
        input=study_uid,
        name="",
        status=FAILED,
        settings=settings,
        source=f"study {study_uid}",
        error=" ".join(message.split()),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
