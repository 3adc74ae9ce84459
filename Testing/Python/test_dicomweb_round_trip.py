"""The whole PACS round trip against a real Orthanc: query (QIDO-RS), retrieve (WADO-RS), analyse, store the SEG and
SR (STOW-RS), then query them back and compare them with the local results; patient identifiers stay out of every
line the command prints or logs at the default verbosity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
from dicomweb_client import DICOMwebClient
from dicomweb_client.session_utils import create_session_from_user_pass

from dicom_checks import assert_valid_dicom, check_seg_against_csv, check_sr_against_csv, seg_masks, sr_groups

CALCIFICATION = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]


def test_round_trip_through_orthanc_matches_the_local_results(orthanc_pacs, ddsm_cases, tmp_path):
    image = Path(ddsm_cases[1]["lcc"])
    source = pydicom.dcmread(image, stop_before_pixels=True)
    out = tmp_path / "out"
    # A separate process, as a user runs it: everything printed or logged at the default verbosity is seen (warnings
    # included, which pytest would otherwise capture), and credentials come from its environment.
    environment = {
        **os.environ,
        "CALCIFICATION_DICOMWEB_USER": orthanc_pacs.auth[0],
        "CALCIFICATION_DICOMWEB_PASSWORD": orthanc_pacs.auth[1],
    }
    command = [
        *CALCIFICATION,
        "analyze",
        "--dicomweb",
        orthanc_pacs.dicomweb_url,
        "--study",
        source.StudyInstanceUID,
        "--store",
        "--method",
        "hdog",
        "--spacing",
        "0.05",
        "--out",
        str(out),
    ]
    printed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout + printed.stderr
    assert f"instance {source.SOPInstanceUID}:" in printed.stdout and "stored SEG" in text and "stored SR" in text
    for identifier in (source.PatientID, str(source.PatientName), "P_00820"):
        assert identifier not in text, f"patient identifier {identifier!r} printed"

    stored = orthanc_pacs.instances_of_study(source.StudyInstanceUID)
    by_modality = {}
    for instance in stored:
        by_modality.setdefault(instance["00080060"]["Value"][0], []).append(instance["00080018"]["Value"][0])
    assert sorted(by_modality) == ["MG", "SEG", "SR"] and all(len(v) == 1 for v in by_modality.values())

    session = create_session_from_user_pass(*orthanc_pacs.auth)
    client = DICOMwebClient(orthanc_pacs.dicomweb_url, session=session)
    name = source.SOPInstanceUID  # fetched files are named by their SOP Instance UID
    for modality, suffix in (("SEG", ".seg.dcm"), ("SR", ".sr.dcm")):
        (uid,) = by_modality[modality]
        series = client.search_for_instances(source.StudyInstanceUID, search_filters={"SOPInstanceUID": uid})
        series_uid = series[0]["0020000E"]["Value"][0]
        retrieved = client.retrieve_instance(source.StudyInstanceUID, series_uid, uid)
        path = tmp_path / f"retrieved{suffix}"
        retrieved.save_as(path, enforce_file_format=True)
        print(modality, assert_valid_dicom(path))  # errors fail; warnings listed
        local = out / f"{name}{suffix}"
        assert pydicom.dcmread(local).SOPInstanceUID == uid
        if modality == "SEG":
            check_seg_against_csv(path, out / f"{name}.calcifications.csv", source, 0.05)
            local_masks, stored_masks = seg_masks(local), seg_masks(path)
            assert local_masks.keys() == stored_masks.keys()
            assert all(np.array_equal(local_masks[k], stored_masks[k]) for k in local_masks)
        else:
            groups = check_sr_against_csv(path, out, name, source)
            local_groups = sr_groups(local)
            assert groups.keys() == local_groups.keys()
            for key, values in groups.items():
                assert {k: v for k, v in values.items() if k != "_region"} == {
                    k: v for k, v in local_groups[key].items() if k != "_region"
                }
