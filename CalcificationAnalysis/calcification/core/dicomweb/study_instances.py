"""Find the mammograms of a study (QIDO-RS) and fetch them into files (WADO-RS), as the PACS stores them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import InputError
from ..io.pydicom_versions import save_dicom_file
from .connection import ServerError, request_errors, server_error

#: Modality of mammograms (digital mammography and digitised film alike).
MAMMOGRAPHY_MODALITY = "MG"


@dataclass(frozen=True)
class InstanceRef:
    """One object of a study: its study, series and SOP instance UIDs and SOP class."""

    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str = ""

    def describe(self) -> str:
        """Names the object in messages (UIDs only: no patient identifier)."""
        return f"study {self.study_uid}, series {self.series_uid}, instance {self.sop_uid}"


def _value(attributes: dict, tag: str) -> str:
    """First value of ``tag`` (8 hex digits) in a DICOM JSON object, "" when absent."""
    values = (attributes.get(tag) or {}).get("Value") or [""]
    return str(values[0])


def _query(client, what: str, call, *args, **kwargs) -> list:
    try:
        return call(*args, **kwargs) or []
    except request_errors() as exc:
        raise server_error(exc, client.base_url, what) from exc


def find_mammograms(client, study_uid: str, series_uid: Optional[str] = None) -> list[InstanceRef]:
    """Every instance of the MG series of ``study_uid`` (or of the one series ``series_uid``), in series then instance
    order.

    Raises
    ------
    ServerError
        Server unreachable or refusing; study or series not found; no MG series in the study.
    """
    where = f"study {study_uid}"  # lower case inside sentences; capitalised where it starts one
    studies = _query(
        client, f"finding {where}", client.search_for_studies, search_filters={"StudyInstanceUID": study_uid}
    )
    if not studies:
        raise ServerError(f"Study {study_uid} was not found on {client.base_url}.")
    series = _query(client, f"listing the series of {where}", client.search_for_series, study_instance_uid=study_uid)
    if series_uid is not None:
        series = [s for s in series if _value(s, "0020000E") == series_uid]
        if not series:
            raise ServerError(f"Series {series_uid} was not found in {where} on {client.base_url}.")
    modalities = sorted({_value(s, "00080060") for s in series})
    mammography = [s for s in series if _value(s, "00080060") == MAMMOGRAPHY_MODALITY]
    if not mammography:
        scope = f"series {series_uid} of {where}" if series_uid else where
        raise ServerError(f"{scope} holds no mammograms (modality MG); it has {', '.join(modalities) or 'nothing'}.")
    instances = []
    # A UID can be listed twice (e.g. Orthanc files one study under two patients when their Patient IDs differ).
    for uid in dict.fromkeys(_value(item, "0020000E") for item in mammography):
        found = _query(
            client,
            f"listing the instances of series {uid} of {where}",
            client.search_for_instances,
            study_instance_uid=study_uid,
            series_instance_uid=uid,
        )
        for instance in sorted(found, key=lambda attributes: _value(attributes, "00200013").zfill(12)):
            instances.append(InstanceRef(study_uid, uid, _value(instance, "00080018"), _value(instance, "00080016")))
    return instances


def fetch_instance(client, ref: InstanceRef, folder: Path) -> Path:
    """Retrieve one instance in the transfer syntax the server stores (WADO-RS, ``transfer-syntax=*``) into
    ``folder/<SOP Instance UID>.dcm`` (named by UID so no patient identifier appears in file names or messages).

    Raises
    ------
    ServerError
        Server unreachable or refusing, or an answer that is not a DICOM object.
    """
    what = f"fetching {ref.describe()}"
    try:
        dataset = client.retrieve_instance(
            ref.study_uid, ref.series_uid, ref.sop_uid, media_types=(("application/dicom", "*"),)
        )
    except request_errors() as exc:
        raise server_error(exc, client.base_url, what) from exc
    path = Path(folder) / f"{ref.sop_uid}.dcm"
    try:
        save_dicom_file(dataset, path)
    except (ValueError, AttributeError, TypeError) as exc:
        raise InputError(f"{what}: the server's answer is not a complete DICOM object ({exc}).") from exc
    return path
