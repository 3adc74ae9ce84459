"""Which calcifications a segmentation model misses: object recall on held-out synthetic cases broken down by
BI-RADS morphology, size and local contrast-to-noise ratio (issue 4: the recall target is 0.90).

Every true calcification of the synthetic test series (exact instance map and morphology from the data engine) is
matched with the rule of ``calcification evaluate-segmenter`` (centroids within 0.35 mm or IoU >= 0.3, one-to-one;
Marasinou et al. 2023). For each one the script records its area (pixels at 0.07 mm), its contrast-to-noise ratio
(mean excess over a 15-pixel median background, divided by the breast's residual noise) and the highest fold-averaged
probability within one pixel of it, then prints recall per group. A calcification with a high CNR and a maximum
probability near 0 is one the network does not respond to at all (not a thresholding problem).

It also groups by a detectability index, CNR x sqrt(area in pixels): the signal-to-noise ratio of an ideal observer
that knows the object's footprint, for a flat object in white noise. Rose's criterion puts reliable detection at an
SNR of about 5 (Rose 1948; Burgess, JOSA A 16(3), 1999), so calcifications below 5 are at the edge of what any
detector can find at a low false-positive rate. The index is approximate: the synthetic noise is not white, and the
residual after the median filter also holds small anatomical structure.

Run: .venv/bin/python Testing/Benchmarks/benchmark_missed_calcifications.py [--model NAME_OR_FOLDER] [--cases 20]
        [--threshold 0.5]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
from scipy import ndimage

#: Contrast-to-noise bins (lower edges) for the recall table.
CNR_EDGES = (-np.inf, 1.0, 2.0, 3.0, 5.0, np.inf)
#: Area bins in pixels at 0.07 mm (1 px = 0.0049 mm²).
AREA_EDGES = (0, 5, 10, 20, 50, np.inf)
#: Detectability index bins (CNR x sqrt(area)); 5 is Rose's criterion for reliable detection.
ROSE_THRESHOLD = 5.0
DETECTABILITY_EDGES = (-np.inf, 3.0, ROSE_THRESHOLD, 8.0, np.inf)


def describe_truth(case, probability: np.ndarray) -> list[dict]:
    """Per true calcification of ``case`` (in instance-label order): morphology, area, CNR, max probability."""
    pixels = case.mammogram.pixels
    background = ndimage.median_filter(pixels, size=15)
    residual = (pixels - background)[case.breast_mask]
    noise = float(np.std(residual)) or 1.0
    morphology = {r.instance_id: r.morphology.value for r in case.record.calcifications}
    labels = np.unique(case.instances[case.instances > 0])
    boxes = ndimage.find_objects(case.instances)
    rows = []
    for label in labels:
        box = tuple(slice(max(s.start - 2, 0), s.stop + 2) for s in boxes[label - 1])
        inside = case.instances[box] == label
        near = ndimage.binary_dilation(inside)
        excess = pixels[box][inside] - background[box][inside]
        rows.append(
            {
                "morphology": morphology[int(label)],
                "area_px": int(inside.sum()),
                "cnr": float(excess.mean() / noise),
                "detectability": float(excess.mean() / noise * np.sqrt(inside.sum())),
                "max_probability": float(probability[box][near].max()),
            }
        )
    return rows


def recall_table(rows: list[dict], key: str, edges=None) -> list[str]:
    """Lines 'group: hits / total = recall, median max probability of the missed', groups in order."""
    groups = defaultdict(list)
    for row in rows:
        if edges is None:
            groups[(row[key], row[key])].append(row)
        else:
            k = int(np.searchsorted(edges, row[key], side="right")) - 1
            groups[(k, f"[{edges[k]:g}, {edges[k + 1]:g})")].append(row)
    lines = []
    for order, name in sorted(groups):
        members = groups[(order, name)]
        hits = sum(r["hit"] for r in members)
        missed = [r["max_probability"] for r in members if not r["hit"]]
        median_missed = f"{np.median(missed):.3f}" if missed else "-"
        lines.append(
            f"  {name:<24} {hits:>4} / {len(members):<4} = {hits / len(members):.3f}   "
            f"median max probability of the missed {median_missed}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model name or folder (default: the shipped default)")
    parser.add_argument("--cases", type=int, default=20, help="held-out synthetic cases, series 9000 (20)")
    parser.add_argument("--threshold", type=float, help="probability threshold (default: the model card's)")
    args = parser.parse_args()

    from calcification.core.evaluation.object_matching import match_objects
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram
    from calcification.core.synthetic import SynthesisConfig, generate_case

    config = SynthesisConfig(shape=(1024, 768))
    segmenter = SegmenterChoice("network", model=args.model, threshold=args.threshold)
    rows = []
    for index in range(args.cases):
        case = generate_case(config, seed=9000, index=index)
        result = segment_mammogram(case.mammogram, segmenter)
        probability = result.details["probability"]
        matching = match_objects(case.instances, result.labels, case.mammogram.spacing_mm, probability)
        hit = np.zeros(matching.n_truth, dtype=bool)
        hit[matching.matched_truth[matching.is_hit]] = True
        for row, found in zip(describe_truth(case, probability), hit, strict=True):
            rows.append({**row, "hit": bool(found)})
    missed = [r for r in rows if not r["hit"]]
    deaf = sum(r["max_probability"] < 0.05 for r in missed)
    print(
        f"{result.details['model_name']} at threshold {result.details['threshold']:g} on {args.cases} synthetic "
        f"cases (series 9000): {len(rows) - len(missed)} of {len(rows)} calcifications found "
        f"(recall {1 - len(missed) / len(rows):.3f}); of the {len(missed)} missed, {deaf} have a maximum "
        f"probability below 0.05 (the network does not respond to them)"
    )
    print("By morphology:")
    print("\n".join(recall_table(rows, "morphology")))
    print("By area (pixels at 0.07 mm):")
    print("\n".join(recall_table(rows, "area_px", AREA_EDGES)))
    print("By contrast-to-noise ratio:")
    print("\n".join(recall_table(rows, "cnr", CNR_EDGES)))
    print("By detectability index CNR x sqrt(area):")
    print("\n".join(recall_table(rows, "detectability", DETECTABILITY_EDGES)))
    visible = [r for r in rows if r["detectability"] >= ROSE_THRESHOLD]
    found = sum(r["hit"] for r in visible)
    print(
        f"{len(rows) - len(visible)} of {len(rows)} calcifications are below Rose's criterion (index < "
        f"{ROSE_THRESHOLD:g}); on the other {len(visible)}: {found} found, recall {found / len(visible):.3f}"
    )


if __name__ == "__main__":
    main()
