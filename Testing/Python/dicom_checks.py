"""Checks the DICOM tests share: dciodvfy (dicom3tools) on every SEG and SR written, the values of a TID 1500 SR
and a SEG read back with highdicom, and their comparison with the CSV files of the same analysis."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from scipy import ndimage

INSTALL_HINT = "dciodvfy is needed for the DICOM tests: `make system-packages` installs it (Debian package dicom3tools)"
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


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _components(mask: np.ndarray) -> int:
    return int(ndimage.label(mask, structure=np.ones((3, 3), bool))[1])


def check_seg_against_csv(seg_path: Path, calcifications_csv: Path, source: pydicom.Dataset, spacing_mm: float):
    """Assert that the SEG references ``source`` with the product's codes and holds, per kind, as many 8-connected
    objects and as much area as ``calcifications.csv`` lists; returns the SEG dataset."""
    seg = pydicom.dcmread(seg_path)
    assert seg.PatientID == source.PatientID and seg.StudyInstanceUID == source.StudyInstanceUID
    referenced = seg.ReferencedSeriesSequence[0]
    assert referenced.SeriesInstanceUID == source.SeriesInstanceUID
    assert referenced.ReferencedInstanceSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    for segment in seg.SegmentSequence:
        assert segment.SegmentedPropertyCategoryCodeSequence[0].CodeValue == "49755003"  # SCT, as Slicer's entry
        assert segment.SegmentedPropertyTypeCodeSequence[0].CodeValue == "18115005"
        assert segment.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator == "SCT"
    rows = _rows(calcifications_csv)
    masks = seg_masks(seg)
    for label, kind in (("Calcification", "calcification"), ("Vascular calcification", "vascular")):
        kind_rows = [row for row in rows if row["kind"] == kind]
        if not kind_rows:
            assert label not in masks
            continue
        assert _components(masks[label]) == len(kind_rows)
        area = np.count_nonzero(masks[label]) * spacing_mm * spacing_mm
        assert area == pytest.approx(sum(float(row["area_mm2"]) for row in kind_rows), rel=1e-9)
    return seg


def check_sr_against_csv(sr_path: Path, out: Path, name: str, source: pydicom.Dataset) -> dict:
    """Assert that the SR holds every value of ``<name>.features.csv`` and ``<name>.clusters.csv`` (exactly) and the
    probability of ``summary.csv`` with the classifier's identification; returns its groups (:func:`sr_groups`)."""
    groups = sr_groups(sr_path)
    (features,) = _rows(out / f"{name}.features.csv")
    image = groups["image"]
    for feature, value in features.items():
        if feature not in ("case_id", "patient_id", "laterality", "view"):
            assert image[feature] == float(value), feature  # FD values: every digit of the CSV
    clusters = _rows(out / f"{name}.clusters.csv")
    assert sorted(k for k in groups if k.startswith("cluster")) == sorted(
        f"cluster {r['cluster_id']}" for r in clusters
    )
    for row in clusters:
        group = groups[f"cluster {row['cluster_id']}"]
        assert group["111038"] == float(row["count"])  # DCM Number of calcifications
        assert group["42798000"] == float(row["area_mm2"])  # SCT Area, mm2
        for column, code in (
            ("calcifications_per_cm2", "calcs_per_cm2"),
            ("spread_mm", "spread_mm"),
            ("linearity", "linearity"),
            ("centroid_x_mm", "centroid_x_mm"),
            ("centroid_y_mm", "centroid_y_mm"),
        ):
            assert group[code] == float(row[column]), column
        assert group["_evaluations"]["111008"] == ("112150" if row["shape"] == "linear" else "grouped")
        assert group["_region"].shape == (5, 2)  # a closed polyline around the cluster, in pixel coordinates
    summary = next(r for r in _rows(out / "summary.csv") if r["case_id"] == name)
    assert image["111047"] == pytest.approx(float(summary["probability"]), abs=5e-5)  # DCM Probability of cancer
    expected = "21594007" if image["111047"] >= 0.5 else "30807003"  # SCT Malignant / Benign
    assert image["_evaluations"]["assessment"] == expected
    texts = text_values(pydicom.dcmread(sr_path))  # TID 4019 of the classifier: name, version, calibration
    assert summary["classifier"] in texts and any(text.startswith("calibration=") for text in texts)
    return groups
