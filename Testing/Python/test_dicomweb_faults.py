"""Bad input and faults of ``analyze --dicomweb`` against a real Orthanc: one line per failure naming the study,
series or instance, exit code 2, the other images of the batch still analysed, a store that fails half way
completed by a rerun without duplicates, credentials from a file or the environment only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import RLELossless, generate_uid

from calcification.cli.main import main
from calcification.logic.workflows.dicomweb_analysis import analyze_dicomweb_studies

from dicom_factory import real_mammogram_crop, write_dicom
from orthanc_server import OrthancServer, free_port

#: A crop of a real DDSM image with one cluster (analysed in about a second with the Hessian-DoG method).
CROP = (slice(2600, 3240), slice(600, 1112))
FAST = ["--method", "hdog", "--classifier", "none"]


def _undecodable(dataset):
    """``dataset`` with RLE pixel data whose segments are garbage: a valid DICOM object that fails to decode."""
    header = np.zeros(16, "<u4")
    header[:3] = (2, 64, 104)
    dataset.PixelData = encapsulate([header.tobytes() + bytes([5, 1, 2, 3, 4, 5, 6]) * 12])
    dataset["PixelData"].VR = "OB"
    dataset.file_meta.TransferSyntaxUID = RLELossless
    return dataset


def _non_image(study_uid, series_uid, modality, patient_id):
    """A Basic Text SR instance (no pixel data) in the given series."""
    from dicom_factory import mammography_dataset

    dataset = mammography_dataset(
        np.zeros((4, 4), np.uint16),
        StudyInstanceUID=study_uid,
        SeriesInstanceUID=series_uid,
        Modality=modality,
        PatientID=patient_id,
    )
    del dataset.PixelData
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    return dataset


@pytest.fixture(scope="module")
def fault_studies(orthanc_pacs, ddsm_cases, tmp_path_factory):
    """Studies uploaded to the PACS: ``good`` (one cropped real image), ``mixed`` (a good image, a non-image object
    and an image that fails to decode, in one MG series), ``no_mg`` (an SR only) and ``missing`` (not on the
    server). Values: the study UID, and for ``mixed`` the instance UIDs too."""
    folder = tmp_path_factory.mktemp("fault-studies")
    source = Path(ddsm_cases[0]["lcc"])
    good = real_mammogram_crop(source, *CROP)
    mixed_study, mixed_series = generate_uid(), generate_uid()
    mixed_good = real_mammogram_crop(source, *CROP, StudyInstanceUID=mixed_study, SeriesInstanceUID=mixed_series)
    broken = _undecodable(
        real_mammogram_crop(
            source, *CROP, StudyInstanceUID=mixed_study, SeriesInstanceUID=mixed_series, InstanceNumber=3
        )
    )
    text = _non_image(mixed_study, mixed_series, "MG", good.PatientID)
    only_sr = _non_image(generate_uid(), generate_uid(), "SR", good.PatientID)
    # One study whose two images carry different Patient IDs: Orthanc files it under two patients and lists its
    # series twice; each image must still be analysed once.
    split_study, split_series = generate_uid(), generate_uid()
    split = [
        real_mammogram_crop(
            source,
            *CROP,
            StudyInstanceUID=split_study,
            SeriesInstanceUID=split_series,
            PatientID=f"SPLIT-{n}",
            InstanceNumber=n,
        )
        for n in (1, 2)
    ]
    for index, dataset in enumerate((good, mixed_good, broken, text, only_sr, *split)):
        orthanc_pacs.upload(write_dicom(folder / f"{index}.dcm", dataset))
    return {
        "good": good.StudyInstanceUID,
        "good_instance": good.SOPInstanceUID,
        "good_series": good.SeriesInstanceUID,
        "mixed": mixed_study,
        "mixed_good": mixed_good.SOPInstanceUID,
        "broken": broken.SOPInstanceUID,
        "text": text.SOPInstanceUID,
        "no_mg": only_sr.StudyInstanceUID,
        "split": split_study,
        "split_instances": [dataset.SOPInstanceUID for dataset in split],
        "missing": generate_uid(),
        "patient_id": good.PatientID,
    }


@pytest.fixture
def credentials_file(orthanc_pacs, tmp_path, monkeypatch):
    for name in ("CALCIFICATION_DICOMWEB_USER", "CALCIFICATION_DICOMWEB_PASSWORD", "CALCIFICATION_DICOMWEB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "pacs.json"
    path.write_text(json.dumps({"username": orthanc_pacs.auth[0], "password": orthanc_pacs.auth[1]}))
    return path


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("calcification analyze: error:")]


def test_a_batch_reports_every_failure_and_finishes_the_other_images(
    orthanc_pacs, fault_studies, credentials_file, tmp_path, capsys
):
    studies = tmp_path / "studies.txt"
    order = ("mixed", "no_mg", "missing", "good", "split")
    studies.write_text("# studies of the fault test\n" + "\n".join(fault_studies[key] for key in order) + "\n")
    code = main(
        [
            "analyze",
            "--dicomweb",
            orthanc_pacs.dicomweb_url,
            "--study-list",
            str(studies),
            "--credentials-file",
            str(credentials_file),
            *FAST,
        ]
    )
    assert code == 2
    printed = capsys.readouterr()
    errors = _errors(printed.err)
    assert len(errors) == 4, printed.err
    assert any(fault_studies["text"] in line and "without pixel data" in line for line in errors)
    assert any(fault_studies["broken"] in line and "Cannot decode" in line for line in errors)
    assert any(fault_studies["no_mg"] in line and "no mammograms (modality MG)" in line for line in errors)
    assert any(fault_studies["missing"] in line and "not found" in line for line in errors)
    for key in ("mixed_good", "good_instance"):  # the other images of the batch complete
        assert f"instance {fault_studies[key]}:" in printed.out
    for uid in fault_studies["split_instances"]:
        assert printed.out.count(f"instance {uid}:") == 1
    assert "4 failure(s); 4 image(s) analysed" in printed.err
    assert fault_studies["patient_id"] not in printed.out + printed.err


def test_series_option_analyses_that_series_and_refuses_an_unknown_one(
    orthanc_pacs, fault_studies, credentials_file, capsys
):
    base = [
        "analyze",
        "--dicomweb",
        orthanc_pacs.dicomweb_url,
        "--study",
        fault_studies["good"],
        "--credentials-file",
        str(credentials_file),
        *FAST,
    ]
    assert main([*base, "--series", fault_studies["good_series"]]) == 0
    assert f"instance {fault_studies['good_instance']}:" in capsys.readouterr().out
    unknown = generate_uid()
    assert main([*base, "--series", unknown]) == 2
    (error,) = _errors(capsys.readouterr().err)
    assert unknown in error and fault_studies["good"] in error and "not found" in error


@pytest.mark.parametrize("where", ["server down", "wrong address", "no credentials"])
def test_an_unusable_server_is_one_line_and_exit_code_2(orthanc_pacs, fault_studies, where, monkeypatch, capsys):
    for name in ("CALCIFICATION_DICOMWEB_USER", "CALCIFICATION_DICOMWEB_PASSWORD", "CALCIFICATION_DICOMWEB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    if where != "no credentials":
        monkeypatch.setenv("CALCIFICATION_DICOMWEB_USER", orthanc_pacs.auth[0])
        monkeypatch.setenv("CALCIFICATION_DICOMWEB_PASSWORD", orthanc_pacs.auth[1])
    url = {
        "server down": f"http://127.0.0.1:{free_port()}/dicom-web",
        "wrong address": f"{orthanc_pacs.base_url}/not-dicom-web",
    }.get(where, orthanc_pacs.dicomweb_url)
    assert main(["analyze", "--dicomweb", url, "--study", fault_studies["good"], *FAST]) == 2
    errors = _errors(capsys.readouterr().err)
    expected = {"server down": "cannot reach", "wrong address": "HTTP 404", "no credentials": "HTTP 401"}[where]
    assert len(errors) == 1 and expected in errors[0] and fault_studies["good"] in errors[0]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--study", "1.2.3"], "need --dicomweb"),
        (["IMAGE.dcm", "--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2.3"], "not both"),
        (["--dicomweb", "ftp://pacs/dicom-web", "--study", "1.2.3"], "must start with http"),
        (["--dicomweb", "http://127.0.0.1:9/dicom-web"], "at least one Study Instance UID"),
        (["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study-list", "missing.txt"], "Cannot read the study list"),
        (
            ["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--credentials-file", "none.json"],
            "does not exist",
        ),
    ],
)
def test_option_mistakes_are_refused_before_any_work(arguments, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", *arguments, *FAST]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]
    assert list(tmp_path.iterdir()) == []


def test_a_store_that_fails_half_way_is_completed_by_a_rerun_without_duplicates(ddsm_cases, tmp_path):
    server = OrthancServer(tmp_path / "pacs").start()
    try:
        image = write_dicom(tmp_path / "crop.dcm", real_mammogram_crop(Path(ddsm_cases[0]["lcc"]), *CROP))
        server.upload(image)
        study = pydicom.dcmread(image, stop_before_pixels=True).StudyInstanceUID
        from calcification.core.dicomweb.credentials import Credentials

        def stop_after_the_seg(fraction, message):
            if message.startswith("stored SEG"):
                server.stop()  # the PACS goes down between the SEG and the SR
            return True

        settings = {"store": True, "credentials": Credentials(*server.auth), "segmenter": "hdog", "classifier": False}
        first = analyze_dicomweb_studies(server.dicomweb_url, [study], progress=stop_after_the_seg, **settings)
        (outcome,) = first.images
        assert [label.split()[0] for label in outcome.store.stored] == ["SEG"]
        assert [label.split()[0] for label, _ in outcome.store.failed] == ["SR"]
        assert len(first.failures) == 1 and "SR" in first.failures[0] and "cannot reach" in first.failures[0]

        server.start()
        second = analyze_dicomweb_studies(server.dicomweb_url, [study], **settings)
        (again,) = second.images
        assert second.ok
        assert again.store.already_present == outcome.store.stored
        assert [label.split()[0] for label in again.store.stored] == ["SR"]
        modalities = sorted(i["00080060"]["Value"][0] for i in server.instances_of_study(study))
        assert modalities == ["MG", "SEG", "SR"]  # checked by a query: nothing stored twice
    finally:
        server.stop()


def test_an_output_file_in_place_of_the_folder_is_refused(tmp_path, capsys):
    occupied = tmp_path / "results"
    occupied.write_text("not a folder")
    arguments = ["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--out", str(occupied)]
    assert main(["analyze", *arguments, *FAST]) == 2
    (error,) = capsys.readouterr().err.strip().splitlines()
    assert "is not a folder" in error and occupied.read_text() == "not a folder"
