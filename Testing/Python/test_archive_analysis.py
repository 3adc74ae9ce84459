"""Issue 19: archive analysis on Dask. An in-process LocalCluster, a separate ``dask scheduler`` with two ``dask
worker`` processes, a worker killed mid-run, resume and --force, a bad image failing alone, and Ctrl-C.

Images are small synthetic pictures written as PNG files (Hessian-DoG finds their bright specks), so every image
takes well under a second; what is checked is which files and rows exist, never how long anything took.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from calcification.logic.workflows.archive_run import DONE, FAILED, MANIFEST_NAME, PENDING, read_manifest
from calcification.logic.workflows.archive_run.manifest import file_sha256

from interruption_harness import paused_at, wait_for_marker

COMMAND = [sys.executable, "-c", "import sys; from calcification.cli.main import main; sys.exit(main())"]
HDOG = ["--method", "hdog", "--classifier", "none", "--spacing", "0.07"]


def _image(path: Path, seed: int, shape=(160, 128)) -> Path:
    """An 8-bit picture with a few bright 2 x 2 specks."""
    rng = np.random.default_rng(seed)
    pixels = (60 + rng.random(shape) * 40).astype(np.uint8)
    for row, col in rng.integers(20, min(shape) - 20, size=(6 + shape[0] // 40, 2)):
        pixels[row : row + 2, col : col + 2] = 250
    Image.fromarray(pixels).save(path)
    return path


def _images(folder: Path, count: int, shape=(160, 128)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [_image(folder / f"case{k:02d}.png", k, shape) for k in range(count)]


def _case_ids(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["case_id"] for row in csv.DictReader(handle)]


def _check_outputs(out: Path, images: list[Path], failed: int = 0, outputs: int = 9) -> dict:
    """Every image analysed exactly once: one done manifest record each (and ``failed`` failed ones), every recorded
    file present with its checksum, one summary and features row each, no temporary file left. Returns the records
    by input."""
    records = read_manifest(out / MANIFEST_NAME)
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == len(records) == len(images) + failed  # compacted: one line per input
    for image in images:
        record = records[str(image.resolve())]
        assert record.status == DONE, record.error
        assert len(record.outputs) == outputs  # seg, mrb, overlay, 3 tables, 2 schemas, report (+ probability map)
        for name, digest in record.outputs.items():
            assert file_sha256(out / name) == digest
    names = sorted(p.stem for p in images)
    assert sorted(_case_ids(out / "summary.csv")) == names
    assert sorted(_case_ids(out / "features.csv")) == names
    assert not [p.name for p in out.iterdir() if p.name.startswith("partial_")]
    return records


@pytest.fixture(scope="module")
def in_process_client():
    """A LocalCluster of two worker threads inside the test process."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as client:
            yield client


def test_in_process_cluster_analyses_every_image_once_and_a_bad_image_fails_alone(tmp_path, in_process_client):
    from calcification.logic.workflows.analysis_files import analyze_files

    images = _images(tmp_path / "in", 5)
    bad = tmp_path / "in" / "case99.png"
    bad.write_bytes(b"not a picture")
    result = analyze_files(
        sorted((tmp_path / "in").iterdir()),
        tmp_path / "out",
        segmenter="hdog",
        spacing_mm=(0.07, 0.07),
        classifier=False,
        client=in_process_client,
    )
    assert [r.status for r in result.records] == [DONE] * 5 + [FAILED]
    assert "case99.png" in result.records[-1].error and "not one" in result.records[-1].error
    records = _check_outputs(tmp_path / "out", images, failed=1)
    assert records[str(bad.resolve())].status == FAILED
    assert not list((tmp_path / "out").glob("case99*"))  # the failed image left no file


def test_two_screening_rounds_of_one_breast_keep_their_own_files(tmp_path, in_process_client, ddsm_cases):
    """Two DICOM images of one patient, side and view: named by their file names, never one over the other."""
    from calcification.logic.workflows.archive_run import analyze_archive

    from dicom_factory import real_mammogram_crop, write_dicom

    source, folder = Path(ddsm_cases[0]["lcc"]), tmp_path / "in"
    folder.mkdir()
    rounds = [
        write_dicom(folder / f"round{year}.dcm", real_mammogram_crop(source, slice(row, row + 320), slice(600, 856)))
        for year, row in ((2023, 2600), (2024, 2900))
    ]
    result = analyze_archive([folder], tmp_path / "out", segmenter="hdog", classifier=False, client=in_process_client)
    assert [r.status for r in result.records] == [DONE, DONE]
    _check_outputs(tmp_path / "out", rounds)


def test_rerun_skips_verified_images_and_redoes_changed_ones_and_force_redoes_all(tmp_path, in_process_client):
    from calcification.logic.workflows.archive_run import analyze_archive

    images = _images(tmp_path / "in", 4)
    out = tmp_path / "out"

    def run(spacing_mm=(0.07, 0.07), **kwargs):
        return analyze_archive(
            [tmp_path / "in"],
            out,
            segmenter="hdog",
            spacing_mm=spacing_mm,
            classifier=False,
            client=in_process_client,
            **kwargs,
        )

    first = run()
    assert [r.reused for r in first.records] == [False] * 4
    (out / "case01.report.html").unlink()  # a missing output
    with open(out / "case02.seg.nrrd", "ab") as handle:  # a damaged output: its checksum no longer matches
        handle.write(b"x")
    second = run()
    assert [r.reused for r in second.records] == [True, False, False, True]
    assert second.records[0].finished == first.records[0].finished  # not redone
    _check_outputs(out, images)
    third = run(force=True)
    assert [r.reused for r in third.records] == [False] * 4
    _check_outputs(out, images)
    changed = run(spacing_mm=(0.1, 0.1))  # other settings: nothing is reused
    assert [r.reused for r in changed.records] == [False] * 4


# -- a separate scheduler and two worker processes on this machine ---------------------------------------------------


@pytest.fixture(scope="module")
def external_cluster(tmp_path_factory):
    """``dask scheduler`` and two single-thread ``dask worker`` processes (no nanny: the worker is the process, so
    a SIGKILL kills it for good), shared by the tests below (the one that kills a worker runs last); yields
    (scheduler file, worker processes); all stopped at the end."""
    scheduler_file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    processes = [
        subprocess.Popen(
            [
                *dask,
                "scheduler",
                "--scheduler-file",
                str(scheduler_file),
                "--port",
                "0",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        _wait_for(scheduler_file.exists, "the scheduler to start")
        for k in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--name",
                        f"w{k}",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield scheduler_file, processes[1:]
    finally:  # workers first (killed: a graceful close waits on the scheduler), then the scheduler
        for process in reversed(processes):
            process.kill()
            process.wait()


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_two_worker_processes_load_the_model_once_each(tmp_path, external_cluster):
    from distributed import Client

    from calcification.logic.workflows.archive_run import analyze_archive

    def count_model_loads() -> None:
        """On a worker: count real loads of model weights (the real loader still runs). Defined here so that Dask
        sends the function itself, not a reference to this test module."""
        from calcification.core.models import model_store

        real = model_store.load_model

        def counted(*args, **kwargs):
            model_store.loads = getattr(model_store, "loads", 0) + 1
            return real(*args, **kwargs)

        model_store.load_model = counted

    scheduler_file, workers = external_cluster
    images = _images(tmp_path / "in", 6)
    with Client(scheduler_file=str(scheduler_file), set_as_default=False) as client:
        client.run(count_model_loads)
        result = analyze_archive(
            [tmp_path / "in"],
            tmp_path / "out",
            segmenter="network",
            spacing_mm=(0.07, 0.07),
            classifier=False,
            client=client,
        )
        loads = client.run(
            lambda: getattr(__import__("calcification.core.models.model_store").core.models.model_store, "loads", 0)
        )
    assert [r.status for r in result.records] == [DONE] * 6
    assert len({r.worker for r in result.records}) == 2  # both worker processes analysed images
    assert sorted(loads.values()) == [1, 1]  # six images, one model load per worker
    _check_outputs(tmp_path / "out", images, outputs=10)


def test_a_worker_killed_mid_run_leaves_every_image_analysed_exactly_once(tmp_path, external_cluster):
    from distributed import Client

    scheduler_file, workers = external_cluster
    images = _images(tmp_path / "in", 12, shape=(800, 600))
    out = tmp_path / "out"
    run = subprocess.Popen(
        [*COMMAND, "analyze", str(tmp_path / "in"), "--out", str(out), *HDOG, "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with Client(scheduler_file=str(scheduler_file), set_as_default=False) as client:
        address = {info["name"]: a for a, info in client.scheduler_info(n_workers=-1)["workers"].items()}["w0"]

        running: list = []  # the first worker's tasks, read in the same poll that decides to kill it

        def w0_busy_after_two_images() -> bool:
            done = sum(r.status == DONE for r in read_manifest(out / MANIFEST_NAME).values())
            running[:] = list(client.processing(workers=[address]).get(address) or ())
            return done >= 2 and bool(running)

        _wait_for(w0_busy_after_two_images, "two images done and the first worker busy")
        workers[0].send_signal(signal.SIGKILL)
        # Reaped at once, as a supervisor (a Dask nanny, systemd) would: an unreaped zombie still answers as a live
        # process, and the run's end-of-run clean-up rightly keeps the temporary files of live processes.
        workers[0].wait(timeout=30)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    records = _check_outputs(out, images)
    killed = workers[0].pid
    lost = [images[int(str(key).rsplit("-", 1)[1])] for key in running]  # keys end in the input's index
    # (any, not all: a queued task may have finished in the instant between asking and killing)
    assert any(not records[str(p.resolve())].worker.endswith(f":{killed}") for p in lost)
    assert "12 images analysed (0 verified" in stdout


def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(tmp_path):
    """Ctrl-C as a terminal sends it (to the driver and its Dask workers) while the driver records a finished image;
    the run pauses there until the signal comes, so the test does not race the run (issue 27)."""
    images = _images(tmp_path / "in", 16, shape=(800, 600))
    out = tmp_path / "out"
    command = [*COMMAND, "analyze", str(tmp_path / "in"), "--out", str(out), *HDOG, "--workers", "2"]
    marker = tmp_path / "paused"
    run = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=paused_at("archive record", marker),
        start_new_session=True,
    )
    assert wait_for_marker(marker, run), run.communicate()
    os.killpg(run.pid, signal.SIGINT)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "interrupted;" in stderr and "run the same command again to resume" in stderr
    records = read_manifest(out / MANIFEST_NAME)
    done = [r for r in records.values() if r.status == DONE]
    assert len(records) == 16 and len(done) >= 1 and any(r.status == PENDING for r in records.values())
    assert f"interrupted; {len(done)} images done and kept, {16 - len(done)} pending" in stderr
    assert not [p.name for p in out.iterdir() if p.name.startswith("partial_")]
    for record in records.values():  # an image stopped half-way left nothing
        if record.status == PENDING:
            assert not list(out.glob(f"{record.name}.*")), record.name
    for record in done:  # the completed images are kept, complete
        assert all(file_sha256(out / name) == digest for name, digest in record.outputs.items())
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"16 images analysed ({len(done)} verified from an earlier run)" in rerun.stdout
    _check_outputs(out, images)
    assert json.loads((out / MANIFEST_NAME).read_text().splitlines()[0])["status"] == DONE
    assert os.path.exists(out / "summary.csv")
