"""Small rules shared by the SEG and SR writers: attributes copied from the source only when well formed, and
highdicom's warnings kept off the terminal (they quote the Patient's Name)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from pydicom.dataset import Dataset

#: Letters of Patient Orientation (PS3.3 C.7.6.1.1.1): anterior, posterior, right, left, head, foot.
_ORIENTATION_LETTERS = set("APRLHF")


def patient_orientation(source: Dataset) -> list[str]:
    """The source's Patient Orientation (0020,0020) when it is two valid direction strings, else empty (allowed:
    the attribute is Type 2C). Scanned-film files such as CBIS-DDSM keep the view ('CC') there instead."""
    value = source.get("PatientOrientation", None)
    parts = [str(part) for part in value] if value is not None and not isinstance(value, str) else []
    if len(parts) == 2 and all(part and set(part) <= _ORIENTATION_LETTERS for part in parts):
        return parts
    return []


@contextmanager
def quiet_highdicom() -> Iterator[None]:
    """Silence highdicom's warnings for the block: one of them prints the Patient's Name ("unlikely to represent
    the intended person name"), and patient identifiers must never reach the terminal or a log."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


#: Patient and General Study attributes of Type 2 (present, possibly empty) that highdicom copies from the source.
_TYPE_2_COPIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "AccessionNumber",
    "StudyID",
)


def with_type2_attributes(source: Dataset) -> Dataset:
    """``source`` itself when it has every Type 2 patient / study attribute highdicom copies, else a copy with the
    missing ones present and empty (as the standard allows; some exporters drop empty Type 2 attributes)."""
    missing = [keyword for keyword in _TYPE_2_COPIED if keyword not in source]
    if not missing:
        return source
    completed = Dataset()
    completed.update(source)
    if hasattr(source, "file_meta"):
        completed.file_meta = source.file_meta
    for keyword in missing:
        setattr(completed, keyword, "")
    return completed
