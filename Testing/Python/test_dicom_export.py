"""DICOM SEG and TID 1500 SR of analysed mammograms: valid by dciodvfy, and read back with highdicom to the numbers
of the CSV files. The full-size DDSM demo image (as ``make demo`` analyses it) is analysed once here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid

from calcification.cli.main import main

from dicom_checks import assert_valid_dicom, check_seg_against_csv, check_sr_against_csv
from dicom_factory import real_mammogram_crop, write_dicom

#: The crop of the DDSM demo image used where a full image is not needed: 1 cluster and 6 vascular calcifications
#: with the Hessian-DoG method, analysed in about a second.
CROP = (slice(2600, 3240), slice(600, 1112))


def _output_name(out: Path) -> str:
    """The name ``analyze`` gave the one image it wrote into ``out`` (``summary.csv``'s case id)."""
    import csv

    with open(out / "summary.csv", newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    return row["case_id"]


def test_demo_image_seg_and_sr_are_valid_and_hold_the_csv_values(tmp_path, ddsm_cases):
    image = Path(ddsm_cases[0]["lcc"])  # the demo image of `make demo`, full size, default method
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--spacing", "0.05", "--out", str(out), "--dicom"]) == 0
    name = _output_name(out)  # named after patient, side and view (Mass-Test_P_00173_L_CC)
    assert name.endswith("_L_CC")
    seg_path, sr_path = out / f"{name}.seg.dcm", out / f"{name}.sr.dcm"
    unexpected = assert_valid_dicom(seg_path) + assert_valid_dicom(sr_path)
    assert not unexpected, "\n".join(unexpected)
    source = pydicom.dcmread(image, stop_before_pixels=True)
    seg = check_seg_against_csv(seg_path, out / f"{name}.calcifications.csv", source, 0.05)
    algorithm = seg.SegmentSequence[0].SegmentationAlgorithmIdentificationSequence[0]
    assert algorithm.AlgorithmName == "network"
    parameters = str(algorithm.AlgorithmParameters)
    assert "model_name=pro_unext_synthetic" in parameters and "model_sha256=" in parameters
    groups = check_sr_against_csv(sr_path, out, name, source)
    assert set(groups) >= {"image"}


def test_crop_with_a_frame_of_reference_and_vascular_segment(tmp_path, ddsm_cases):
    frame = generate_uid()
    dataset = real_mammogram_crop(Path(ddsm_cases[0]["lcc"]), *CROP, FrameOfReferenceUID=frame)
    image = write_dicom(tmp_path / "crop.dcm", dataset)
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(out), "--dicom"]) == 0
    name = _output_name(out)
    seg_path, sr_path = out / f"{name}.seg.dcm", out / f"{name}.sr.dcm"
    for path in (seg_path, sr_path):
        print(path.name, assert_valid_dicom(path))  # warnings listed (the crop has no Study ID / Time), errors fail
    seg = check_seg_against_csv(seg_path, out / f"{name}.calcifications.csv", dataset, 0.05)
    assert seg.FrameOfReferenceUID == frame
    assert [s.SegmentLabel for s in seg.SegmentSequence] == ["Calcification", "Vascular calcification"]
    vascular = seg.SegmentSequence[1]
    assert vascular.AnatomicRegionSequence[0].CodeValue == "59820001"  # SCT Blood vessel, as Slicer's entry
    groups = check_sr_against_csv(sr_path, out, name, dataset)
    assert "cluster 1" in groups
    # A second run makes the same objects (same UIDs): what lets a rerun skip what a PACS already holds.
    again = tmp_path / "again"
    assert main(["analyze", str(image), "--method", "hdog", "--out", str(again), "--dicom"]) == 0
    for suffix in (".seg.dcm", ".sr.dcm"):
        first, second = pydicom.dcmread(out / f"{name}{suffix}"), pydicom.dcmread(again / f"{name}{suffix}")
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
