"""Inserted calcifications next to real ones at the same pixel size (issues 17 and 33): contrast, size, width, and
the fit of the per-calcification contrast distribution of the acquisition blending.

Real ones: on the mini-MIAS development images with calcification clusters (0.2 mm film), the Hessian-DoG
candidates (the product's first stage) inside each annotated circle. Inserted ones: every calcification that
:func:`~calcification.core.synthetic.acquisition_blending.blend_at_acquisition` inserts into mini-MIAS normals,
measured at its centroid. Both are measured by :mod:`calcification.core.synthetic.appearance` (peak contrast in
tissue-range and local-noise units, area at half maximum, profile width) and compared on the brightest quarter by
local contrast-to-noise (the spots a reader sees, among real candidates and among inserted calcifications alike).
The ten calcification images are measured for these statistics only: no detector threshold is set on them.

``--fit-blur MM,...``: for each acquisition blur, inserts with scale 1 once, keeps each calcification's background
and signal windows, and searches the log-normal (median, sigma) of the per-calcification scale that minimises the
larger of the contrast and size Kolmogorov-Smirnov distances; the shipped ``CALIBRATED_CONTRAST`` is then checked by
a fresh insertion on other normals. Prints quartiles and KS distances and writes a figure (no image pixels are
copied into it).

Run: .venv/bin/python Testing/Benchmarks/compare_blended_and_real_calcifications.py --mias ../shared/data/minimias-dev
        [--normals 20] [--fit-blur 0.08,0.12] [--figure CalcificationAnalysis/calcification/models/blended_vs_real.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def real_spots(mias: Path, cache: Path | None) -> np.ndarray:
    """Appearance rows of the Hessian-DoG candidates inside the annotated circles (all of them)."""
    from calcification.core.candidates.candidate_detection import find_candidates
    from calcification.core.io import read_mammogram
    from calcification.core.synthetic.appearance import measure_spots

    stored = dict(np.load(cache)) if cache is not None and cache.is_file() else {}
    rows, new = [], {}
    for fields in (line.split() for line in (mias / "Info.txt").read_text().splitlines() if line.startswith("mdb")):
        if fields[2] != "CALC" or len(fields) < 7:
            continue
        key = f"{fields[0]}_{fields[4]}_{fields[5]}"
        mammogram = read_mammogram(mias / f"{fields[0]}.pgm", spacing_mm=(0.2, 0.2))
        if key not in stored:
            found = find_candidates(mammogram)
            points = found.centroids_on_input_grid()
            centre = np.array([1024 - int(fields[5]), int(fields[4])])
            new[key] = points[np.hypot(*(points - centre).T) <= int(fields[6]) + 5]
            new[key + "_breast"] = found.breast_input
        spots = {**stored, **new}
        rows.append(measure_spots(mammogram.pixels, spots[key + "_breast"], spots[key], 0.2))
    if cache is not None and new:
        np.savez_compressed(cache, **stored, **new)
    return np.concatenate(rows)


def inserted_windows(mias: Path, names: list[str], seed: int, contrast, blur_mm=None) -> tuple[list, list, list]:
    """Per normal: background and inserted-signal windows at each inserted calcification, and the tissue range."""
    from calcification.core.io import read_mammogram
    from calcification.core.synthetic import SynthesisConfig
    from calcification.core.synthetic.acquisition_blending import ACQUISITION_BLUR_MM, blend_at_acquisition
    from calcification.core.synthetic.appearance import instance_centroids, spot_windows, tissue_range

    backgrounds, signals, tissues = [], [], []
    config = SynthesisConfig(clusters_per_case=(2, 4))
    for number, name in enumerate(names):
        normal = read_mammogram(mias / f"{name}.pgm", spacing_mm=(0.2, 0.2))
        case = blend_at_acquisition(
            normal, seed=seed, index=number, config=config, contrast=contrast, blur_mm=blur_mm or ACQUISITION_BLUR_MM
        )
        base = normal.pixels.astype(np.float32)
        points = instance_centroids(case.instances)
        backgrounds.append(spot_windows(base, points)[0])
        signals.append(spot_windows(case.mammogram.pixels - base, points)[0])
        tissues.append(np.full(len(backgrounds[-1]), tissue_range(base, case.breast_mask)))
    return backgrounds, signals, tissues


def measured(backgrounds, signals, tissues, scales: np.ndarray) -> np.ndarray:
    """Appearance rows of the windows ``background + scale * signal`` (one scale per calcification)."""
    from calcification.core.synthetic.appearance import measure_window

    b, s, t = np.concatenate(backgrounds), np.concatenate(signals), np.concatenate(tissues)
    return np.array([measure_window(b[i] + scales[i] * s[i], t[i], 0.2) for i in range(len(b))], float).reshape(-1, 4)


def fit(real: np.ndarray, windows) -> tuple[float, float, float, float]:
    """(median, sigma, KS contrast, KS size) minimising the larger KS distance on a grid (fixed normal draws)."""
    from calcification.core.synthetic.appearance import brightest_quarter, ks_distance

    z = np.random.default_rng(0).standard_normal(sum(len(b) for b in windows[0]))
    target = brightest_quarter(real)
    best = (np.inf,)
    for median in np.geomspace(0.05, 1.0, 27):
        for sigma in (0.0, 0.25, 0.5, 0.75, 1.0):
            top = brightest_quarter(measured(*windows, median * np.exp(sigma * z)))
            ks = (ks_distance(top[:, 0], target[:, 0]), ks_distance(top[:, 2], target[:, 2]))
            if max(ks) < best[0]:
                best = (max(ks), median, sigma, *ks)
    return best[1:]


def summary(label: str, values: np.ndarray, real: np.ndarray | None) -> str:
    from calcification.core.synthetic.appearance import ks_distance

    cells = [label, str(len(values))]
    for column in range(4):
        quartiles = np.percentile(values[:, column], [25, 50, 75]) if len(values) else [np.nan] * 3
        cells.append(" / ".join(f"{v:.3g}" for v in quartiles))
    if real is not None:
        cells.append(" / ".join(f"{ks_distance(values[:, c], real[:, c]):.3f}" for c in range(4)))
    return " | ".join(cells)


def draw_figure(path: Path, groups: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for label, values in groups.items():
        axes[0].hist(values[:, 0], bins=np.linspace(0, 0.6, 31), histtype="step", density=True, label=label)
        axes[1].hist(values[:, 1], bins=np.linspace(0, 30, 31), histtype="step", density=True, label=label)
        axes[2].hist(values[:, 2], bins=np.arange(0.5, 16.5), histtype="step", density=True, label=label)
    axes[0].set_xlabel("peak contrast / tissue range")
    axes[1].set_xlabel("peak contrast / local noise SD")
    axes[2].set_xlabel("area at half maximum (pixels of 0.2 mm)")
    axes[0].legend(fontsize=7)
    title = "Brightest quarter (by local CNR), real vs inserted calcifications, mini-MIAS film 0.2 mm"
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mias", type=Path, required=True)
    parser.add_argument(
        "--normals",
        type=int,
        default=20,
        help="normals to insert into (the first N for --fit, the next N to check the shipped distribution)",
    )
    parser.add_argument(
        "--fit-blur",
        type=lambda t: [float(v) for v in t.split(",")],
        default=[],
        metavar="MM,...",
        help="search the contrast distribution for each of these acquisition blurs (Gaussian sigma, mm) and print it",
    )
    parser.add_argument("--cache", type=Path, help="npz file keeping the real candidates between runs")
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()

    from calcification.core.synthetic.acquisition_blending import CALIBRATED_CONTRAST, ContrastDistribution
    from calcification.core.synthetic.appearance import brightest_quarter

    real = brightest_quarter(real_spots(args.mias, args.cache))
    records = [line.split() for line in (args.mias / "Info.txt").read_text().splitlines() if line.startswith("mdb")]
    normals = sorted({f[0] for f in records if f[2] == "NORM"})
    print(
        "0.2 mm film | n | contrast (tissue range) 25/50/75% | contrast (noise SD) | area at half max (px) | "
        "width (mm) | KS distance to real, each column"
    )
    print(summary("real (mini-MIAS clusters)", real, None))
    for number, blur_mm in enumerate(args.fit_blur):
        windows = inserted_windows(args.mias, normals[: args.normals], 77, ContrastDistribution(1.0, 0.0), blur_mm)
        median, sigma, ks_contrast, ks_size = fit(real, windows)
        print(
            f"fit on {args.normals} normals, blur {blur_mm} mm: median {median:.3f}, sigma {sigma:.2f} "
            f"(KS contrast {ks_contrast:.3f}, size {ks_size:.3f})",
            flush=True,
        )
        if number == 0:
            uncalibrated = brightest_quarter(measured(*windows, np.ones(sum(len(b) for b in windows[0]))))
            print(summary(f"inserted, scale 1, blur {blur_mm} mm (before issue 33)", uncalibrated, real), flush=True)
    check = normals[args.normals : 2 * args.normals]
    windows = inserted_windows(args.mias, check, 78, CALIBRATED_CONTRAST)
    inserted = brightest_quarter(measured(*windows, np.ones(sum(len(b) for b in windows[0]))))
    print(summary(f"inserted, calibrated ({len(check)} other normals)", inserted, real))
    if args.figure:
        draw_figure(args.figure, {"real (mini-MIAS clusters)": real, "inserted, calibrated": inserted})


if __name__ == "__main__":
    main()
