"""Cascades of the Hessian-DoG candidate filter and the network, scored on mini-MIAS without rerunning either
(issue 33).

``benchmark_real_images.py`` keeps each detector's probability map per mini-MIAS image (``WORK/LABEL/probability``):
for ``hdog_filtered`` every candidate's outline filled with its filter probability (kept or not), for a network its
probability map. Here each candidate (a connected outline of the filter map) gets the network's largest probability
over its outline, and the rules below keep candidates; masks go through the boundary rule and are scored by the
reference scorer, side by side:

- ``filter >= F``: the filter alone (F = its card's 0.98 is ``hdog_filtered``);
- ``filter >= F and network >= N``: the network judges the filter's candidates (a cascade);
- ``filter >= F or network >= N``: either one.

Thresholds are listed on the command line, not searched here; choose them on normals (false clusters) and on
synthetic or inserted calcifications, never on the calcification images.

Run: .venv/bin/python Testing/Benchmarks/score_cascades.py --work /tmp/real-bench --filter hdog_filtered
        --network network --mias ../shared/data/minimias-dev [--ids FILE] --rules "and:0.5:0.3,or:0.98:0.9"
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage


def cascade_mask(filter_map: np.ndarray, network_map: np.ndarray, rule: str, f: float, n: float) -> np.ndarray:
    """bool mask of the candidates ``rule`` ("and" / "or") keeps at filter threshold ``f`` and network ``n``."""
    labels, count = ndimage.label(filter_map > 0, structure=np.ones((3, 3)))
    if count == 0:
        return np.zeros(filter_map.shape, bool)
    index = np.arange(1, count + 1)
    p_filter = ndimage.maximum(filter_map.astype(np.float32), labels, index)
    grown = ndimage.grey_dilation(labels, size=(3, 3))  # the network's object may sit a pixel off a 1-px candidate
    p_network = ndimage.maximum(network_map.astype(np.float32), grown, index)
    keep = (p_filter >= f) & (p_network >= n) if rule == "and" else (p_filter >= f) | (p_network >= n)
    return np.concatenate([[False], keep])[labels]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--filter", required=True, help="label of the hdog_filtered run in WORK")
    parser.add_argument("--network", required=True, help="label of the network run in WORK")
    parser.add_argument("--mias", type=Path, required=True)
    parser.add_argument("--ids", type=Path)
    parser.add_argument("--rules", required=True, help="comma-separated RULE:F:N, RULE 'and' or 'or'")
    parser.add_argument(
        "--scorer",
        type=Path,
        default=Path(__file__).resolve().parents[3] / "shared" / "tools" / "score_minimias_clusters.py",
    )
    args = parser.parse_args()

    from calcification.core.io import read_mammogram
    from calcification.core.masking.breast_mask import compute_breast_mask
    from calcification.core.segmentation.boundary_rule import apply_boundary_rule
    from calcification.core.segmentation.result import CalcificationSegmentation

    filter_dir, network_dir = (args.work / name / "probability" for name in (args.filter, args.network))
    ids = sorted(p.stem for p in filter_dir.glob("*.npy") if (network_dir / p.name).exists())
    images = {}
    for stem in ids:  # read once: every rule reuses the image and its breast
        mammogram = read_mammogram(args.mias / f"{stem}.pgm", spacing_mm=(0.2, 0.2))
        breast = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
        images[stem] = (
            mammogram.pixels,
            breast,
            np.load(filter_dir / f"{stem}.npy"),
            np.load(network_dir / f"{stem}.npy"),
        )
    for rule_text in args.rules.split(","):
        rule, f, n = rule_text.split(":")
        out = args.work / "cascades" / rule_text.replace(":", "_")
        out.mkdir(parents=True, exist_ok=True)
        for stem, (pixels, breast, filter_map, network_map) in images.items():
            mask = cascade_mask(filter_map, network_map, rule, float(f), float(n))
            labels = ndimage.label(mask, structure=np.ones((3, 3)))[0].astype(np.int32)
            result = CalcificationSegmentation(labels, breast, (0.2, 0.2), "cascade")
            np.save(out / f"{stem}.npy", apply_boundary_rule(result, pixels).mask)
        command = [sys.executable, str(args.scorer), str(out), str(args.mias / "Info.txt")]
        if args.ids:
            command += ["--ids", str(args.ids)]
        score = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
        print(f"{rule_text}: " + score.replace("\n", f"\n{rule_text}: "), flush=True)


if __name__ == "__main__":
    main()
