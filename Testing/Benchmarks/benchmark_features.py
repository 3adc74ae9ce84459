"""Time of the Tong et al. features and clusters on a full-field synthetic mammogram (reported, not asserted).

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_features.py [--seed 0] [--index 0] [--extra 2000] [--repeats 3]

Generates one full-field synthetic case (``SynthesisConfig()`` default shape, 3300 x 2500 px at 0.07 mm) and times
``analyze_mask`` (what ``analyze`` and the panel run: 8-connected calcifications, per-calcification measurements,
dilation clusters, the 35-feature image vector) over its ground-truth mask. A synthetic case holds tens of
calcifications; to check the target of 2,000 calcifications in at most 2 s on 2 cores, a second run adds ``--extra``
objects (ellipses of 1-8 pixel radius, grouped ten at a time within 3 mm, stamped 150 grey levels brighter into the
breast) to the same case. Prints the calcification and cluster counts, the best and median wall time over
``--repeats``, the time of the shipped classifier's probability on the result, and peak memory: the Python-tracked
peak of one run (tracemalloc; numpy reports its buffers to it) and the process's peak resident set size.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc

import numpy as np
from scipy import ndimage

from calcification.core.analysis import analyze_mask, judge_malignancy
from calcification.core.classification import DEFAULT_CLASSIFIER_NAME, list_classifiers, load_classifier
from calcification.core.synthetic import SynthesisConfig, generate_case


def run_features(image: np.ndarray, labels: np.ndarray, spacing: tuple[float, float]) -> dict[str, float]:
    """The whole feature step, as the analysis pipeline runs it (the mask, not the instance ids, is its input)."""
    return analyze_mask(image, labels > 0, spacing).features


def add_objects(image, labels, breast, n_objects, rng) -> tuple[np.ndarray, np.ndarray]:
    """Copies of ``image`` / ``labels`` with ``n_objects`` extra ellipses in groups of ten inside ``breast``."""
    image, labels = image.copy(), labels.copy()
    rows, cols = np.nonzero(breast[40:-40, 40:-40])
    next_label = int(labels.max()) + 1
    while n_objects > 0:
        pick = rng.integers(rows.size)
        centre = np.array([rows[pick] + 40, cols[pick] + 40])
        for _ in range(min(10, n_objects)):
            r0, c0 = centre + rng.integers(-21, 22, size=2)  # within 3 mm at 0.07 mm
            radius_r, radius_c = rng.uniform(1.0, 8.0, size=2)
            rr, cc = np.mgrid[-8:9, -8:9]
            inside = (rr / radius_r) ** 2 + (cc / radius_c) ** 2 <= 1.0
            window = (slice(r0 - 8, r0 + 9), slice(c0 - 8, c0 + 9))
            if (labels[window][ndimage.binary_dilation(inside, np.ones((3, 3), bool))] > 0).any():
                continue  # keep a one-pixel gap: touching objects would merge into one 8-connected calcification
            labels[window][inside] = next_label
            image[window][inside] += 150.0
            next_label += 1
            n_objects -= 1
    return image, labels


def measure(name: str, image, labels, spacing, repeats: int) -> None:
    """Print objects, best / median seconds over ``repeats`` and the peak memory of one run."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        vector = run_features(image, labels, spacing)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run_features(image, labels, spacing)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name}: {int(vector['calc_num'])} calcifications, {int(vector['clu_num'])} clusters; "
        f"best {min(times):.3f} s, median {statistics.median(times):.3f} s over {repeats}; "
        f"peak traced memory {peak / 2**20:.1f} MiB"
    )
    if any(entry.name == DEFAULT_CLASSIFIER_NAME for entry in list_classifiers()):
        classifier = load_classifier(DEFAULT_CLASSIFIER_NAME)
        start = time.perf_counter()
        probability = judge_malignancy(vector, classifier).probability
        print(f"  {DEFAULT_CLASSIFIER_NAME} probability {probability:.3f} in {time.perf_counter() - start:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--extra", type=int, default=2000, help="objects added for the stress run (0: skip it)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    case = generate_case(SynthesisConfig(), seed=args.seed, index=args.index)
    image, labels, spacing = case.mammogram.pixels, case.instances, case.mammogram.spacing_mm
    print(f"full-field synthetic case {case.record.case_id}: {image.shape[0]} x {image.shape[1]} px at {spacing} mm")
    measure("ground-truth instances", image, labels, spacing, args.repeats)
    if args.extra > 0:
        more_image, more_labels = add_objects(image, labels, case.breast_mask, args.extra, np.random.default_rng(1))
        measure(f"ground truth + {args.extra} stamped objects", more_image, more_labels, spacing, args.repeats)
    print(f"process peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()
