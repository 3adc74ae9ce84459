"""Throughput of the synthetic engine, and how the Hessian-DoG detector fares on its cases (reported, not asserted).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_synthetic.py [--full 12] [--crops 200] [--workers 2] [--detector 6]

Prints full-field cases per minute (2,500 x 3,300 px at 0.07 mm) and 512 x 512 crops per minute with ``--workers``
processes (targets: >= 20 full-field cases/min or >= 200 crops/min on 2 cores). It also runs the Hessian-DoG
pipeline on ``--detector`` full-field cases and prints its per-object recall for
calcifications above 0.3 mm and its false positives per cm^2 of breast.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from calcification.core.synthetic import SynthesisConfig, generate_case

FULL = SynthesisConfig()
CROP = SynthesisConfig(shape=(512, 512), crop=True)


def _one(args: tuple[str, int]) -> int:
    kind, index = args
    case = generate_case(FULL if kind == "full" else CROP, seed=7, index=index)
    return case.record.n_calcifications


def throughput(kind: str, n: int, workers: int) -> float:
    """Cases per minute over ``n`` cases with ``workers`` processes (pool start-up excluded)."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_one, [(kind, 10_000 + i) for i in range(workers)]))  # warm the workers (imports)
        start = time.perf_counter()
        list(pool.map(_one, [(kind, i) for i in range(n)]))
        return 60.0 * n / (time.perf_counter() - start)


def detector_figures(n_cases: int) -> None:
    """Per-object recall (calcifications > 0.3 mm) and false positives per cm^2 of the Hessian-DoG pipeline
    (breast mask, normalisation, detector), with the published settings and with the segmentation settings."""
    from calcification.core.detection.hdog import HDoGConfig
    from calcification.core.segmentation.hdog_method import SEGMENTATION_CONFIG, segment_with_hdog

    cases = [generate_case(FULL, seed=8, index=index) for index in range(n_cases)]
    for name, config in (("published", HDoGConfig()), ("segmentation", SEGMENTATION_CONFIG)):
        hits = total = false_positives = 0
        area_cm2 = 0.0
        for case in cases:
            result = segment_with_hdog(case.mammogram, config=config)
            found = np.unique(case.instances[result.labels > 0])
            for calc in case.record.calcifications:
                if calc.size_mm > 0.3:
                    total += 1
                    hits += int(calc.instance_id in found)
            objects = np.unique(result.labels[result.labels > 0])
            touching = np.unique(result.labels[(result.labels > 0) & case.mask])
            false_positives += len(np.setdiff1d(objects, touching))
            area_cm2 += result.breast_area_cm2
        print(
            f"HDoG ({name} settings) on {n_cases} full-field cases: recall (> 0.3 mm) {hits}/{total} = "
            f"{hits / max(total, 1):.3f}; false positives {false_positives / area_cm2:.2f} per cm^2 of breast"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", type=int, default=12, help="full-field cases to time")
    parser.add_argument("--crops", type=int, default=200, help="512 x 512 crops to time")
    parser.add_argument("--workers", type=int, default=2, help="processes (one per core)")
    parser.add_argument("--detector", type=int, default=6, help="full-field cases for the detector figures (0: skip)")
    args = parser.parse_args()
    print(
        f"full field 2500x3300 @ 0.07 mm: {throughput('full', args.full, args.workers):.1f} cases/min "
        f"({args.workers} processes)"
    )
    print(
        f"512x512 crops @ 0.07 mm: {throughput('crop', args.crops, args.workers):.0f} crops/min "
        f"({args.workers} processes)"
    )
    if args.detector:
        detector_figures(args.detector)


if __name__ == "__main__":
    main()
