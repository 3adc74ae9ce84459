"""Checks the DICOM tests share: dciodvfy (dicom3tools) on every SEG and SR written, and the values of a TID 1500
SR and a SEG read back with highdicom, keyed the way the CSV files are."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

INSTALL_HINT = "dciodvfy is needed for the DICOM tests: apt-get install -y dicom3tools (as .ci/run does)"
#: dciodvfy warnings every object of the product gets and that are expected: the private coding scheme is declared
#: in the Coding Scheme Identification Sequence but dciodvfy only knows the standard designators; the DDSM files'
#: Patient's Name is a single component (copied as it is).
EXPECTED_WARNINGS = ("Unrecognized defined term <99CALCAN>", "Retired Person Name form")


def dciodvfy(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) that dciodvfy reports for ``path``; AssertionError with the install hint when missing."""
    binary = shutil.which("dciodvfy")
    assert binary, INSTALL_HINT
    result = subprocess.run([binary, str(path)], capture_output=True, text=True, timeout=300)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")], [line for line in lines if line.startswith("Warning")]


def assert_valid_dicom(path: Path) -> list[str]:
    """Fail on any dciodvfy error; return the unexpected warnings (listed by the caller's assertion messages)."""
    errors, warnings = dciodvfy(path)
    assert not errors, f"dciodvfy errors in {path.name}:\n" + "\n".join(errors)
    return sorted({w for w in warnings if not any(expected in w for expected in EXPECTED_WARNINGS)})


def sr_groups(path_or_dataset) -> dict[str, dict]:
    """Measurement groups of a TID 1500 SR by tracking identifier (``image``, ``cluster 1`` ...), each a dict of code
    value -> numeric value, plus ``_evaluations`` (concept code value -> value code value) and ``_region`` (the
    graphic data of a planar ROI, or None)."""
    import highdicom as hd
    import pydicom

    dataset = path_or_dataset if isinstance(path_or_dataset, pydicom.Dataset) else pydicom.dcmread(path_or_dataset)
    sr = hd.sr.ComprehensiveSR.from_dataset(dataset)
    report = sr.content
    groups = {}
    for group in [*report.get_image_measurement_groups(), *report.get_planar_roi_measurement_groups()]:
        values = {m.name.value: m.value for m in group.get_measurements()}
        values["_evaluations"] = {e.name.value: e.value.value for e in group.get_qualitative_evaluations()}
        roi = getattr(group, "roi", None)
        values["_region"] = None if roi is None else np.asarray(roi.value)
        groups[group.tracking_identifier] = values
    return groups


def seg_masks(path_or_dataset) -> dict[str, np.ndarray]:
    """Segment label -> bool (Rows, Columns) mask of a SEG of one source frame, read with highdicom."""
    import highdicom as hd
    import pydicom

    dataset = path_or_dataset if isinstance(path_or_dataset, pydicom.Dataset) else pydicom.dcmread(path_or_dataset)
    seg = hd.seg.Segmentation.from_dataset(dataset)
    numbers = list(seg.segment_numbers)
    source_uid = seg.get_source_image_uids()[0][2]
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=[source_uid], segment_numbers=numbers)
    return {seg.get_segment_description(n).segment_label: pixels[0, ..., i] > 0 for i, n in enumerate(numbers)}


def text_values(dataset) -> list[str]:
    """Every Text Value (0040,A160) of an SR's content tree (e.g. the algorithm names and parameters of TID 4019)."""
    found = []
    for element in dataset:
        if element.VR == "SQ":
            for item in element.value:
                found += text_values(item)
        elif element.keyword == "TextValue":
            found.append(str(element.value))
    return found
