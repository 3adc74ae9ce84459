"""One level-tracing click to an updated segment on a full-field synthetic mammogram (3,300 x 2,500 px).

Prints the median and 95th percentile over clicks at the centres of the case's calcifications (target: at most
50 ms per click on 2 CPU cores). When there are fewer calcifications than clicks, the next pass erases what the
previous one added, so every click changes the segment (a click that changes nothing would be cheaper).

Run: .venv/bin/python Testing/Benchmarks/benchmark_annotation_click.py [--clicks 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.level_tracing import LevelTracingAnnotator, TraceOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=50)
    args = parser.parse_args()
    case = generate_case(SynthesisConfig(), seed=21, index=0)
    scene = create_headless_scene()
    volume = volume_node_from_mammogram(scene, case.mammogram)
    annotator = LevelTracingAnnotator(volume, create_calcification_segmentation(scene, volume))
    centres = [
        tuple(int(v) for v in np.argwhere(case.instances == c.instance_id).mean(axis=0).round())
        for c in case.record.calcifications
    ]
    times, changed = [], 0
    for index in range(args.clicks):
        row, col = centres[index % len(centres)]
        options = TraceOptions(erase=bool((index // len(centres)) % 2))
        start = time.perf_counter()
        result = annotator.click(row, col, options)
        times.append(1000 * (time.perf_counter() - start))
        changed += result.changed_pixels > 0
    print(
        f"image {case.mammogram.shape[0]} x {case.mammogram.shape[1]} px, {len(centres)} calcifications, "
        f"{len(times)} clicks ({changed} changed the segment): median {np.median(times):.1f} ms, "
        f"p95 {np.percentile(times, 95):.1f} ms, max {np.max(times):.1f} ms (target <= 50 ms)"
    )


if __name__ == "__main__":
    main()
