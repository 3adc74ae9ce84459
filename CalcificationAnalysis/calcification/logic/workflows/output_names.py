"""What the output files of one mammogram are called: ``<patient>_<side>_<view>`` (``Mass-Test_P_00173_L_CC``)
when the file says who and which view it is, else the file's own name; within one run no two images share a name.

CBIS-DDSM and many PACS exports name every file ``1-1.dcm`` in its own folder, so file names alone collide in a
batch and tell a reader nothing; the DICOM tags do.
"""

from __future__ import annotations

import re

from ...core.classification import breast_patient_id
from ...core.image import Laterality, Mammogram, View

#: Characters kept in a name (anything else becomes ``_``), so the name is a safe file name on every system.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def output_name(mammogram: Mammogram) -> str:
    """``<patient>_<L|R>_<view>`` from the DICOM Patient ID (side and view words at its end dropped, as for the
    breast-level result), Image Laterality and View Position; the file name when any of the three is missing."""
    patient = _UNSAFE.sub("_", breast_patient_id(mammogram.metadata.get("patient_id", ""))).strip("._-")
    if not patient or mammogram.laterality is Laterality.UNKNOWN or mammogram.view in (View.UNKNOWN, View.OTHER):
        return mammogram.name
    return f"{patient}_{mammogram.laterality.value}_{mammogram.view.value}"


def unique_name(name: str, used: set) -> str:
    """``name``, or ``name_2``, ``name_3`` ... when it is taken; the result is added to ``used``."""
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return candidate
