"""Store result objects with STOW-RS, each only once: an object whose SOP Instance UID the server already has is
skipped, so a rerun after a failed store sends only what is missing (the product's result UIDs are stable, see
:func:`calcification.core.dicom_export.provenance.result_uids`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..progress import ProgressCallback, report_progress
from .connection import ServerError, request_errors, server_error


@dataclass(frozen=True)
class StoreOutcome:
    """What happened to each object: stored now, already on the server, or failed (with the reason)."""

    stored: tuple[str, ...] = ()
    already_present: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def complete(self) -> bool:
        return not self.failed


def _label(dataset) -> str:
    return f"{dataset.Modality} {dataset.SOPInstanceUID}"


def is_stored(client, dataset) -> bool:
    """True when the server holds an instance with the SOP Instance UID of ``dataset`` (QIDO-RS)."""
    try:
        found = client.search_for_instances(
            study_instance_uid=dataset.StudyInstanceUID, search_filters={"SOPInstanceUID": dataset.SOPInstanceUID}
        )
    except request_errors() as exc:
        raise server_error(exc, client.base_url, f"checking {_label(dataset)}") from exc
    return bool(found)


def _store_one(client, dataset) -> None:
    try:
        answer = client.store_instances([dataset], study_instance_uid=dataset.StudyInstanceUID)
    except request_errors() as exc:
        raise server_error(exc, client.base_url, f"storing {_label(dataset)}") from exc
    failed = answer.get("FailedSOPSequence") if answer is not None else None
    if failed:
        reason = failed[0].get("FailureReason", "unknown")
        raise ServerError(f"storing {_label(dataset)} failed: the server refused it (failure reason {reason}).")


def store_once(client, datasets: Sequence, progress: ProgressCallback = None) -> StoreOutcome:
    """Store each of ``datasets`` unless the server already has it; go on after a failure.

    ``progress(fraction, message)`` is told after each object ("stored SEG 1.2.3"), so a caller can show (or test)
    the state between two objects.
    """
    stored, present, failed = [], [], []
    for index, dataset in enumerate(datasets):
        label = _label(dataset)
        try:
            if is_stored(client, dataset):
                present.append(label)
                report_progress(progress, (index + 1) / len(datasets), f"already stored {label}")
                continue
            _store_one(client, dataset)
        except ServerError as exc:
            failed.append((label, str(exc)))
            continue
        stored.append(label)
        report_progress(progress, (index + 1) / len(datasets), f"stored {label}")
    return StoreOutcome(tuple(stored), tuple(present), tuple(failed))
