"""Draw the README picture: the product's sample mammogram analysed by the shipped model (outlines, breast,
numbered cluster boxes) beside the report's close-up of the largest cluster.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/make_analysis_picture.py [--out Resources/AnalysisExample.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from calcification.core.analysis import analyze_mask
from calcification.core.analysis.result_tables import cluster_boxes
from calcification.core.reporting.cluster_pictures import close_up_geometry, cluster_close_up
from calcification.core.reporting.report_figures import overview_picture
from calcification.core.segmentation import segment_mammogram
from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.workflows.sample_data import SAMPLE_INDEX, SAMPLE_SEED, SAMPLE_SHAPE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("Resources/AnalysisExample.png"))
    args = parser.parse_args()
    case = generate_case(SynthesisConfig(shape=SAMPLE_SHAPE), seed=SAMPLE_SEED, index=SAMPLE_INDEX)
    result = segment_mammogram(case.mammogram, "network")
    analysis = analyze_mask(case.mammogram.pixels, result.mask, case.mammogram.spacing_mm, result.breast)
    boxes = cluster_boxes(analysis)
    overview = overview_picture(case.mammogram.pixels, analysis.labels, result.breast, boxes, max_size_px=840)
    largest = int(np.argmax([c.count for c in analysis.clusters.clusters]))
    geometry = close_up_geometry(boxes, analysis.spacing_mm)  # the report's close-up of that cluster
    crop = cluster_close_up(
        case.mammogram.pixels,
        analysis.labels,
        boxes[largest],
        analysis.clusters.clusters[largest].cluster_id,
        analysis.spacing_mm,
        geometry,
    )
    crop = np.asarray(
        Image.fromarray(crop).resize(
            (overview.shape[0] * crop.shape[1] // crop.shape[0], overview.shape[0]), Image.NEAREST
        )
    )
    gap = np.full((overview.shape[0], 12, 3), 255, dtype=np.uint8)
    Image.fromarray(np.concatenate([overview, gap, crop], axis=1)).save(args.out, optimize=True)
    print(f"{analysis.summary()}; wrote {args.out}")


if __name__ == "__main__":
    main()
