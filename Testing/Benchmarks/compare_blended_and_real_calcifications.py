"""Blended calcifications next to real ones at the same pixel size (issue 17, item 2): peak contrast and size.

Real ones: on the mini-MIAS development images with calcification clusters (0.2 mm), the Hessian-DoG candidates
(the product's first stage, on its working grid) inside each annotated circle, their brightest quarter by
contrast-to-noise, as the calcifications a reader sees there. Blended ones: the same measurement on mini-MIAS
normals after inserting synthetic groups, for the product's acquisition blending (fine sampling, blur, pixel
aperture, contrast scaled to the local tissue) and for the older blending at the image's own pixel size, candidates
that land on an inserted calcification, brightest quarter likewise. Measured per candidate on the input image:
peak contrast = peak minus the median of the ring 2-4 px away, in units of the image's tissue range (5th-95th
percentile inside the breast), and size = pixels at or above half that contrast (full width at half maximum, as
area). Prints the quartiles and writes a figure of both distributions (no image pixels are copied into it).

Run: .venv/bin/python Testing/Benchmarks/compare_blended_and_real_calcifications.py --mias ../shared/data/minimias-dev
        [--normals 20] [--figure CalcificationAnalysis/calcification/models/blended_vs_real.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage


def measure(pixels: np.ndarray, breast: np.ndarray, points_rc: np.ndarray) -> np.ndarray:
    """(n, 2): peak contrast in tissue-range units and half-maximum area in input pixels, per point."""
    values = pixels[breast]
    tissue = float(np.percentile(values, 95) - np.percentile(values, 5)) or 1.0
    rows, cols = np.mgrid[-6:7, -6:7]
    radius = np.hypot(rows, cols)
    out = []
    for r, c in np.round(points_rc).astype(int):
        if not (6 <= r < pixels.shape[0] - 6 and 6 <= c < pixels.shape[1] - 6):
            continue
        window = pixels[r - 6 : r + 7, c - 6 : c + 7].astype(float)
        core = window[radius <= 1.5]
        peak, background = core.max(), np.median(window[(radius >= 2) & (radius <= 4)])
        contrast = peak - background
        half = ndimage.label(window >= background + 0.5 * contrast)[0]
        centre = np.unravel_index(np.argmax(np.where(radius <= 1.5, window, -np.inf)), window.shape)
        out.append((contrast / tissue, np.count_nonzero(half == half[centre])))
    return np.array(out).reshape(-1, 2)


def brightest_quarter(found, keep: np.ndarray) -> np.ndarray:
    """Input-grid centroids of the kept candidates with the top quarter of contrast-to-noise."""
    from calcification.core.candidates.candidate_features import FEATURE_NAMES

    cnr = found.features[:, FEATURE_NAMES.index("contrast_to_noise")]
    index = np.flatnonzero(keep)
    if index.size == 0:
        return np.zeros((0, 2))
    top = index[cnr[index] >= np.percentile(cnr[index], 75)]
    return found.centroids_on_input_grid()[top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mias", type=Path, required=True)
    parser.add_argument("--normals", type=int, default=20)
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()

    from calcification.core.candidates.candidate_detection import find_candidates
    from calcification.core.candidates.candidate_labels import true_instance_per_candidate
    from calcification.core.io import read_mammogram
    from calcification.core.synthetic import SynthesisConfig, blend_calcifications
    from calcification.core.synthetic.acquisition_blending import blend_at_acquisition

    records = [line.split() for line in (args.mias / "Info.txt").read_text().splitlines() if line.startswith("mdb")]
    real, blends = [], {"acquisition blending": [], "older blending": []}
    for fields in records:
        if fields[2] != "CALC" or len(fields) < 7:
            continue
        mammogram = read_mammogram(args.mias / f"{fields[0]}.pgm", spacing_mm=(0.2, 0.2))
        found = find_candidates(mammogram)
        centre = np.array([1024 - int(fields[5]), int(fields[4])])
        inside = np.hypot(*(found.centroids_on_input_grid() - centre).T) <= int(fields[6]) + 5
        real.append(measure(mammogram.pixels, found.breast_input, brightest_quarter(found, inside)))
    normals = sorted({f[0] for f in records if f[2] == "NORM"})[: args.normals]
    config = SynthesisConfig(clusters_per_case=(2, 4))
    for number, name in enumerate(normals):
        normal = read_mammogram(args.mias / f"{name}.pgm", spacing_mm=(0.2, 0.2))
        for label, blend in (("acquisition blending", blend_at_acquisition), ("older blending", blend_calcifications)):
            case = blend(normal, seed=77, index=number, config=config)
            found = find_candidates(case.mammogram, breast=case.breast_mask)
            on_truth = true_instance_per_candidate(found, case.instances) > 0
            points = brightest_quarter(found, on_truth)
            blends[label].append(measure(case.mammogram.pixels, case.breast_mask, points))
    groups = {"real (mini-MIAS clusters)": np.concatenate(real), **{k: np.concatenate(v) for k, v in blends.items()}}
    print("0.2 mm film | n | peak contrast (tissue range) 25/50/75% | half-maximum area (px) 25/50/75%")
    for label, values in groups.items():
        contrast, area = np.percentile(values[:, 0], [25, 50, 75]), np.percentile(values[:, 1], [25, 50, 75])
        print(
            f"{label} | {len(values)} | {' / '.join(f'{v:.3f}' for v in contrast)} | "
            f"{' / '.join(f'{v:.1f}' for v in area)}"
        )
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        for label, values in groups.items():
            axes[0].hist(values[:, 0], bins=np.linspace(0, 0.6, 31), histtype="step", density=True, label=label)
            axes[1].hist(values[:, 1], bins=np.arange(0.5, 16.5), histtype="step", density=True, label=label)
        axes[0].set_xlabel("peak contrast / tissue range")
        axes[1].set_xlabel("area at half maximum (pixels of 0.2 mm)")
        axes[0].legend(fontsize=7)
        figure.suptitle("Brightest quarter of candidates on calcifications, mini-MIAS film at 0.2 mm", fontsize=9)
        figure.tight_layout()
        figure.savefig(args.figure, dpi=90)
        print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
