"""Issue 19 over DICOMweb: ``analyze --dicomweb URL --study UID...`` in archive mode against a real Orthanc, on an
in-process Dask cluster (two workers; the command reaches it by its tcp:// address as it would a remote one): one
task per MG instance, SEG and SR stored back and found by a query, a rerun that reuses verified instances (keyed by
SOP Instance UID), and bad instances (one that does not decode, one without pixels, one gone from the server before
its task fetched it, a study that is not there) failing alone with a line naming study, series and instance.

Images are crops of a real DDSM mammogram analysed with the Hessian-DoG method (about a second each)."""

from __future__ import annotations

import csv
import io
import json
import pickle
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pydicom
import pytest
import requests
from pydicom.uid import generate_uid
from test_dicomweb_faults import CROP, FAST, _non_image, _undecodable

from calcification.cli.main import main
from calcification.core.classification import breast_patient_id
from calcification.logic.workflows.archive_run import DONE, FAILED, MANIFEST_NAME, analyze_archive, read_manifest
from calcification.logic.workflows.archive_run.dicomweb_inputs import DicomwebStudies
from calcification.logic.workflows.archive_run.manifest import file_sha256

from dicom_factory import real_mammogram_crop, write_dicom

ENVIRONMENT = ("CALCIFICATION_DICOMWEB_USER", "CALCIFICATION_DICOMWEB_PASSWORD", "CALCIFICATION_DICOMWEB_TOKEN")


@pytest.fixture(scope="module")
def tcp_cluster():
    """Two single-thread Dask workers in this process, behind a scheduler on a localhost tcp:// port; yields
    (client, scheduler address)."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        with Client(cluster, set_as_default=False) as client:
            yield client, cluster.scheduler_address


@pytest.fixture(scope="module")
def pacs_login(orthanc_pacs):
    """The PACS credentials in this process's environment (the driver and the in-process workers read them there)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        patch.setenv("CALCIFICATION_DICOMWEB_USER", orthanc_pacs.auth[0])
        patch.setenv("CALCIFICATION_DICOMWEB_PASSWORD", orthanc_pacs.auth[1])
        yield


@pytest.fixture(scope="module")
def two_studies(orthanc_pacs, ddsm_cases, tmp_path_factory):
    """Study A: two crops in one MG series; study B: one crop. Values: study UID -> its MG SOP Instance UIDs."""
    folder = tmp_path_factory.mktemp("archive-studies")
    source = Path(ddsm_cases[0]["lcc"])
    studies = {}
    for count in (2, 1):
        study, series = generate_uid(), generate_uid()
        crops = [
            real_mammogram_crop(source, *CROP, StudyInstanceUID=study, SeriesInstanceUID=series, InstanceNumber=n)
            for n in range(1, count + 1)
        ]
        for crop in crops:
            orthanc_pacs.upload(write_dicom(folder / f"{crop.SOPInstanceUID}.dcm", crop))
        studies[study] = [crop.SOPInstanceUID for crop in crops]
    return studies


def _command(orthanc_pacs, studies, out: Path, address: str, *more: str) -> list[str]:
    study_options = [option for uid in studies for option in ("--study", uid)]
    return [
        "analyze",
        "--dicomweb",
        orthanc_pacs.dicomweb_url,
        *study_options,
        "--out",
        str(out),
        "--scheduler",
        address,
        *FAST,
        *more,
    ]


def _on_server(orthanc_pacs, study: str) -> list[tuple[str, str]]:
    """(modality, SOP Instance UID) of every instance of ``study`` on the PACS (QIDO-RS)."""
    found = orthanc_pacs.instances_of_study(study)
    return sorted((i["00080060"]["Value"][0], i["00080018"]["Value"][0]) for i in found)


@pytest.fixture(scope="module")
def first_run(orthanc_pacs, two_studies, pacs_login, tcp_cluster, tmp_path_factory):
    """``analyze --dicomweb ... --store`` of both studies on the two workers; (exit code, out folder, workers that
    ran a task, everything printed and logged)."""
    from distributed import get_task_stream

    client, address = tcp_cluster
    out = tmp_path_factory.mktemp("archive-dicomweb") / "results"
    printed = io.StringIO()
    with get_task_stream(client=client) as stream, redirect_stdout(printed), redirect_stderr(printed):
        code = main(_command(orthanc_pacs, two_studies, out, address, "--store"))
    workers = {task["worker"] for task in stream.data if str(task["key"]).startswith("calcification-image")}
    return code, out, workers, printed.getvalue()


def test_two_studies_run_one_task_per_instance_on_two_workers_and_store_seg_and_sr(
    orthanc_pacs, two_studies, first_run, ddsm_cases
):
    code, out, workers, printed = first_run
    assert code == 0, printed
    assert len(workers) == 2  # both workers analysed instances
    instances = sorted(uid for uids in two_studies.values() for uid in uids)
    records = read_manifest(out / MANIFEST_NAME)
    assert sorted(records) == instances  # keyed by SOP Instance UID, one record each
    with open(out / "summary.csv", newline="", encoding="utf-8") as handle:
        assert sorted(row["case_id"] for row in csv.DictReader(handle)) == instances  # each exactly once
    for study, uids in two_studies.items():
        expected = {("MG", uid) for uid in uids}
        for uid in uids:
            record = records[uid]
            assert record.status == DONE and study in record.source and uid in record.source
            for name, digest in record.outputs.items():
                assert file_sha256(out / name) == digest
            for suffix, modality in ((".seg.dcm", "SEG"), (".sr.dcm", "SR")):
                assert f"{uid}{suffix}" in record.outputs
                local = pydicom.dcmread(out / f"{uid}{suffix}", stop_before_pixels=True)
                expected.add((modality, local.SOPInstanceUID))
                assert f"{modality} {local.SOPInstanceUID}" in record.stored
        assert _on_server(orthanc_pacs, study) == sorted(expected)  # stored once each, queried back
    assert not [p.name for p in out.iterdir() if p.name.startswith("partial_")]
    # Three images of one breast and view: no breast-level row, and a warning that names no patient.
    assert "no breast-level result" in printed
    patient_id = pydicom.dcmread(ddsm_cases[0]["lcc"], stop_before_pixels=True).PatientID
    assert patient_id not in printed and breast_patient_id(patient_id) not in printed  # also without side and view


def test_a_rerun_reuses_verified_instances_and_redoes_a_damaged_one_without_storing_twice(
    orthanc_pacs, two_studies, first_run, tcp_cluster, capsys
):
    _, out, _, _ = first_run
    before = read_manifest(out / MANIFEST_NAME)
    on_server = {study: _on_server(orthanc_pacs, study) for study in two_studies}
    capsys.readouterr()
    command = _command(orthanc_pacs, two_studies, out, tcp_cluster[1], "--store")
    assert main(command) == 0
    assert "3 images analysed (3 verified from an earlier run), 0 failed" in capsys.readouterr().out
    after = read_manifest(out / MANIFEST_NAME)
    assert all(after[uid].finished == before[uid].finished for uid in before)  # neither fetched nor analysed
    damaged = two_studies[next(iter(two_studies))][0]
    (out / f"{damaged}.sr.dcm").unlink()
    assert main(command) == 0
    assert "3 images analysed (2 verified from an earlier run), 0 failed" in capsys.readouterr().out
    again = read_manifest(out / MANIFEST_NAME)
    assert [uid for uid in again if not again[uid].reused] == [damaged]
    assert (out / f"{damaged}.sr.dcm").exists()
    assert {study: _on_server(orthanc_pacs, study) for study in two_studies} == on_server  # nothing stored twice


@pytest.fixture(scope="module")
def mixed_study(orthanc_pacs, ddsm_cases, tmp_path_factory):
    """One MG series: two good crops, one that does not decode and one object without pixels. Values by role."""
    folder = tmp_path_factory.mktemp("mixed-archive-study")
    source = Path(ddsm_cases[0]["lcc"])
    study, series = generate_uid(), generate_uid()
    good, vanishing, broken = (
        real_mammogram_crop(source, *CROP, StudyInstanceUID=study, SeriesInstanceUID=series, InstanceNumber=n)
        for n in (1, 2, 3)
    )
    broken = _undecodable(broken)
    text = _non_image(study, series, "MG", good.PatientID)
    for index, dataset in enumerate((good, vanishing, broken, text)):
        orthanc_pacs.upload(write_dicom(folder / f"{index}.dcm", dataset))
    return {
        "study": study,
        "series": series,
        "good": good.SOPInstanceUID,
        "vanishing": vanishing.SOPInstanceUID,
        "broken": broken.SOPInstanceUID,
        "text": text.SOPInstanceUID,
        "patient_id": good.PatientID,
    }


def _delete_from_pacs(orthanc_pacs, sop_uid: str) -> None:
    """Remove one instance through Orthanc's REST API (test set-up: a PACS losing an object mid-run)."""
    auth, base = orthanc_pacs.auth, orthanc_pacs.base_url
    (found,) = requests.post(f"{base}/tools/lookup", data=sop_uid, auth=auth, timeout=30).json()
    requests.delete(f"{base}/instances/{found['ID']}", auth=auth, timeout=30).raise_for_status()


def test_bad_instances_and_a_missing_study_fail_alone_with_their_uids(
    orthanc_pacs, mixed_study, pacs_login, tcp_cluster, ddsm_cases, tmp_path, capsys
):
    missing, late = generate_uid(), generate_uid()  # late: not on the PACS for the first run, there for the second
    out = tmp_path / "results"
    studies = (mixed_study["study"], missing, late)
    vanishing = mixed_study["vanishing"]

    def remove_one_before_its_fetch(start) -> None:  # the driver has listed the instances; no task has run yet
        _delete_from_pacs(orthanc_pacs, vanishing)

    result = analyze_archive(
        (),
        out,
        segmenter="hdog",
        classifier=False,
        client=tcp_cluster[0],
        dicomweb=DicomwebStudies(orthanc_pacs.dicomweb_url, studies),
        on_start=remove_one_before_its_fetch,
    )
    by_input = {record.input: record for record in result.records}
    assert by_input[mixed_study["good"]].status == DONE
    failed = {uid: by_input[uid] for uid in (vanishing, mixed_study["broken"], mixed_study["text"], missing, late)}
    assert [record.status for record in failed.values()] == [FAILED] * 5
    for uid in (vanishing, mixed_study["broken"], mixed_study["text"]):
        where = f"study {mixed_study['study']}, series {mixed_study['series']}, instance {uid}"
        assert failed[uid].source == where and "\n" not in failed[uid].error
        assert not list(out.glob(f"{uid}*"))  # a failed instance leaves no file
    assert "HTTP 404" in failed[vanishing].error
    assert "Cannot decode" in failed[mixed_study["broken"]].error
    assert "without pixel data" in failed[mixed_study["text"]].error
    assert "not found" in failed[missing].error and "not found" in failed[late].error
    assert "/tmp" not in " ".join(r.error for r in failed.values())  # no temporary path of a worker

    # The command (the removed instance no longer listed) prints one line per failure, naming the object, exits 2;
    # with --store it stores the SEG and SR the first run made of the good instance without analysing it again.
    arrived = real_mammogram_crop(Path(ddsm_cases[0]["lcc"]), *CROP, StudyInstanceUID=late)
    orthanc_pacs.upload(write_dicom(tmp_path / "late.dcm", arrived))
    capsys.readouterr()
    assert main(_command(orthanc_pacs, studies, out, tcp_cluster[1], "--store")) == 2
    printed = capsys.readouterr()
    errors = [line for line in printed.err.splitlines() if line.startswith("calcification analyze: error:")]
    assert len(errors) == 3, printed.err
    assert any(f"instance {mixed_study['broken']}" in e and mixed_study["series"] in e for e in errors)
    assert any(missing in e and "not found" in e for e in errors)
    assert "2 images analysed (1 verified from an earlier run), 3 failed" in printed.out
    assert "SEG and SR of 2 images on the server" in printed.out
    records = read_manifest(out / MANIFEST_NAME)
    assert records[arrived.SOPInstanceUID].status == DONE and late not in records  # no out-of-date study failure
    assert records[missing].status == FAILED
    assert [m for m, _ in _on_server(orthanc_pacs, mixed_study["study"]) if m in ("SEG", "SR")] == ["SEG", "SR"]
    assert mixed_study["patient_id"] not in printed.out + printed.err


def test_tasks_carry_uids_and_where_the_credentials_are_never_the_credentials(
    orthanc_pacs, two_studies, tmp_path, monkeypatch
):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "pacs.json"
    credentials.write_text(json.dumps(dict(zip(("username", "password"), orthanc_pacs.auth, strict=True))))
    studies = DicomwebStudies(orthanc_pacs.dicomweb_url, list(two_studies), credentials_file=credentials)
    jobs, refused = studies.jobs("settings")
    assert not refused and sorted(job.input for job in jobs) == sorted(u for us in two_studies.values() for u in us)
    for job in jobs:
        shipped = pickle.dumps(job.arguments)
        assert orthanc_pacs.auth[1].encode() not in shipped and str(credentials).encode() in shipped


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--study", "1.2.3", "--workers", "2"], "need --dicomweb"),
        (["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--list", "paths.txt"], "not both"),
        (["IMAGE.dcm", "--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--archive"], "not both"),
        (["--dicomweb", "ftp://pacs/dicom-web", "--study", "1.2", "--archive"], "must start with http"),
        (["--dicomweb", "http://127.0.0.1:9/dicom-web", "--workers", "2"], "at least one Study Instance UID"),
        (
            ["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--study", "1.3", "--series", "1.4"]
            + ["--archive"],
            "exactly one --study",
        ),
        (
            ["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2", "--credentials-file", "none.json"]
            + ["--workers", "2"],
            "does not exist",
        ),
    ],
)
def test_archive_option_mistakes_are_refused_before_any_work(arguments, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", *arguments, "--out", "results", *FAST]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0], error
    assert list(tmp_path.iterdir()) == []  # no output folder, no manifest, no cluster started
