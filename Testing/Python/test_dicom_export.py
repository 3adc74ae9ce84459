"""DICOM SEG and TID 1500 SR of analysed mammograms: valid by dciodvfy, and read back with highdicom to the numbers
of the CSV files. The full-size DDSM demo image (as ``make demo`` analyses it) is analysed once here."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from scipy import ndimage

from calcification.cli.main import main

from dicom_checks import assert_valid_dicom, seg_masks, sr_groups, text_values
from dicom_factory import real_mammogram_crop, write_dicom

#: The crop of the DDSM demo image used where a full image is not needed: 1 cluster and 6 vascular calcifications
#: with the Hessian-DoG method, analysed in about a second.
CROP = (slice(2600, 3240), slice(600, 1112))


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _components(mask: np.ndarray) -> int:
    return int(ndimage.label(mask, structure=np.ones((3, 3), bool))[1])


def _check_seg_against_csv(seg_path: Path, calcifications_csv: Path, source: pydicom.Dataset, spacing_mm: float):
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


def _check_sr_against_csv(sr_path: Path, out: Path, name: str, source: pydicom.Dataset) -> dict:
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
        for column, code in (("calcifications_per_cm2", "calcs_per_cm2"), ("spread_mm", "spread_mm"),
                             ("linearity", "linearity"), ("centroid_x_mm", "centroid_x_mm"),
                             ("centroid_y_mm", "centroid_y_mm")):  # fmt: skip
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


def test_demo_image_seg_and_sr_are_valid_and_hold_the_csv_values(tmp_path, ddsm_cases):
    image = Path(ddsm_cases[0]["lcc"])  # the demo image of `make demo`, full size, default method
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--spacing", "0.05", "--out", str(out), "--dicom"]) == 0
    name = image.stem
    seg_path, sr_path = out / f"{name}.seg.dcm", out / f"{name}.sr.dcm"
    unexpected = assert_valid_dicom(seg_path) + assert_valid_dicom(sr_path)
    assert not unexpected, "\n".join(unexpected)
    source = pydicom.dcmread(image, stop_before_pixels=True)
    seg = _check_seg_against_csv(seg_path, out / f"{name}.calcifications.csv", source, 0.05)
    algorithm = seg.SegmentSequence[0].SegmentationAlgorithmIdentificationSequence[0]
    assert algorithm.AlgorithmName == "prounext"
    parameters = str(algorithm.AlgorithmParameters)
    assert "model_name=pro_unext_synthetic" in parameters and "model_sha256=" in parameters
    groups = _check_sr_against_csv(sr_path, out, name, source)
    assert set(groups) >= {"image"}


def test_crop_with_a_frame_of_reference_and_vascular_segment(tmp_path, ddsm_cases):
    frame = generate_uid()
    dataset = real_mammogram_crop(Path(ddsm_cases[0]["lcc"]), *CROP, FrameOfReferenceUID=frame)
    image = write_dicom(tmp_path / "crop.dcm", dataset)
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(out), "--dicom"]) == 0
    seg_path, sr_path = out / "crop.seg.dcm", out / "crop.sr.dcm"
    for path in (seg_path, sr_path):
        print(path.name, assert_valid_dicom(path))  # warnings listed (the crop has no Study ID / Time), errors fail
    seg = _check_seg_against_csv(seg_path, out / "crop.calcifications.csv", dataset, 0.05)
    assert seg.FrameOfReferenceUID == frame
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["Calcification", "Vascular calcification"]
    vascular = seg.SegmentSequence[1]
    assert vascular.AnatomicRegionSequence[0].CodeValue == "59820001"  # SCT Blood vessel, as Slicer's entry
    groups = _check_sr_against_csv(sr_path, out, "crop", dataset)
    assert "cluster 1" in groups
    # A second run makes the same objects (same UIDs): what lets a rerun skip what a PACS already holds.
    again = tmp_path / "again"
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(again), "--dicom"]) == 0
    for suffix in (".seg.dcm", ".sr.dcm"):
        first, second = pydicom.dcmread(out / f"crop{suffix}"), pydicom.dcmread(again / f"crop{suffix}")
        assert first.SOPInstanceUID == second.SOPInstanceUID and first.SeriesInstanceUID == second.SeriesInstanceUID


def test_dicom_results_of_a_picture_are_refused_before_any_work(tmp_path, capsys):
    picture = tmp_path / "image.png"
    from PIL import Image

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(picture)
    out = tmp_path / "out"
    assert main(["analyze", str(picture), "--out", str(out), "--dicom", "--method", "hdog"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "must reference a DICOM image" in error[0]
    assert not out.exists()
