"""Click-at-centre outline quality: Dice of one click's outline with the synthetic engine's exact masks.

For each calcification of at least 0.3 mm and 20 pixels of synthetic 512 x 512 crops, one click at its recorded
centre (on real MRML nodes, then undone), Dice with its exact mask; prints the median and the share >= 0.9 per
morphology for each level fraction. The figures quoted in ``core/annotation/seed_snapping.py`` come from here.

Run: .venv/bin/python Testing/Benchmarks/benchmark_annotation_dice.py [--seeds 6] [--fractions 0.3 0.5]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from calcification.core.synthetic import SynthesisConfig, generate_case
from calcification.logic.mrml.scene_factory import create_headless_scene
from calcification.logic.mrml.segmentation_nodes import create_calcification_segmentation, segment_mask
from calcification.logic.mrml.volume_nodes import volume_node_from_mammogram
from calcification.logic.workflows.level_tracing import LevelTracingAnnotator, TraceOptions


def dice_per_morphology(seeds: int, fraction: float) -> dict[str, list[float]]:
    scene = create_headless_scene()
    found = defaultdict(list)
    for seed in range(seeds):
        case = generate_case(SynthesisConfig(shape=(512, 512), crop=True), seed=seed, index=0)
        volume = volume_node_from_mammogram(scene, case.mammogram)
        annotator = LevelTracingAnnotator(volume, create_calcification_segmentation(scene, volume))
        for calcification in case.record.calcifications:
            if calcification.size_mm < 0.3 or calcification.n_pixels < 20:
                continue
            truth = case.instances == calcification.instance_id
            result = annotator.click(*calcification.center_rc, TraceOptions(level_fraction=fraction))
            traced = segment_mask(annotator.segmentation_node, annotator.segment_id, volume)
            if result.changed_pixels:
                annotator.undo()
            found[calcification.morphology.value].append(2 * (traced & truth).sum() / (traced.sum() + truth.sum()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.3, 0.5])
    args = parser.parse_args()
    for fraction in args.fractions:
        found = dice_per_morphology(args.seeds, fraction)
        everything = np.concatenate([np.asarray(v) for v in found.values()])
        print(f"level fraction {fraction}: {everything.size} calcifications, median Dice {np.median(everything):.3f}")
        for morphology, values in sorted(found.items()):
            values = np.asarray(values)
            print(
                f"  {morphology:24s} n={values.size:3d} median {np.median(values):.3f} "
                f"share >= 0.9: {(values >= 0.9).mean():.2f}"
            )


if __name__ == "__main__":
    main()
