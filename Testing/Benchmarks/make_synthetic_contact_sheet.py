"""Render Resources/SyntheticExamples.png: full views of synthetic cases and zoomed clusters with their outlines.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/make_synthetic_contact_sheet.py [--out Resources/SyntheticExamples.png]

Top row: four full-field cases (0.07 mm, 2,500 x 3,300 px) of densities A-D in CC and MLO views. Bottom row: a
15 x 15 mm window around one group of each case, with the ground-truth group outline (green: drawn from the benign
pool, red: from the suspicious pool) and the calcification mask contours (yellow) on the right half only, so the raw
appearance stays visible on the left half.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from calcification.core.image import View
from calcification.core.synthetic import BreastDensity, SynthesisConfig, generate_case

TILE = (300, 396)  # width, height of a full view
ZOOM_MM = 15.0
CASES = (("A", View.CC, 3), ("B", View.MLO, 1), ("C", View.CC, 7), ("D", View.MLO, 2))


def window(pixels: np.ndarray, region: np.ndarray) -> np.ndarray:
    """8-bit display as a viewer shows it: 0.5-99.8th percentile of the breast mapped to black-white."""
    values = pixels[region][::53] if region.any() else pixels.ravel()
    low, high = np.percentile(values, [0.5, 99.8])
    return (np.clip((pixels - low) / max(high - low, 1e-6), 0, 1) * 255).astype(np.uint8)


def full_tile(case) -> Image.Image:
    image = Image.fromarray(window(case.mammogram.pixels, case.breast_mask)).resize(TILE, Image.LANCZOS)
    record = case.record
    draw = ImageDraw.Draw(image)
    text = f"{record.density} {record.view} {record.laterality}  {record.label.value}"
    draw.text((6, 4), text, fill=255)
    return image.convert("RGB")


def zoom_tile(case, cluster) -> Image.Image:
    spacing = case.record.spacing_mm
    half = int(ZOOM_MM / spacing / 2)
    row, col = (int(v) for v in cluster.center_rc)
    rows, cols = case.mammogram.shape
    r0, c0 = min(max(row - half, 0), rows - 2 * half), min(max(col - half, 0), cols - 2 * half)
    crop = case.mammogram.pixels[r0 : r0 + 2 * half, c0 : c0 + 2 * half]
    mask = case.mask[r0 : r0 + 2 * half, c0 : c0 + 2 * half]
    rgb = np.repeat(window(crop, np.ones_like(mask))[..., None], 3, axis=2)
    edge = mask & ~ndimage.binary_erosion(mask)
    edge[:, :half] = False  # contours on the right half only
    rgb[edge] = (255, 230, 0)
    scale = TILE[0] / (2 * half)
    image = Image.fromarray(rgb).resize((TILE[0], TILE[0]), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    outline = [((c - c0) * scale, (r - r0) * scale) for r, c in cluster.outline_rc]
    draw.polygon(outline, outline=(230, 40, 40) if cluster.suspicious else (40, 220, 60), width=2)
    text = f"{cluster.morphology.value} / {cluster.distribution.value} (n={cluster.n_calcifications})"
    draw.text((6, 4), text, fill=(255, 255, 255))
    draw.text((6, TILE[0] - 16), f"{ZOOM_MM:g} mm", fill=(255, 255, 255))
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("Resources/SyntheticExamples.png"))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    sheet = Image.new("RGB", (4 * TILE[0] + 5 * 4, TILE[1] + TILE[0] + 3 * 4), (20, 20, 20))
    for i, (density, view, index) in enumerate(CASES):
        config = SynthesisConfig(density=BreastDensity(density), view=view, clusters_per_case=(2, 3))
        case = generate_case(config, seed=args.seed, index=index)
        x = 4 + i * (TILE[0] + 4)
        sheet.paste(full_tile(case), (x, 4))
        # prefer a grouped cluster (the typical finding to judge), then the most populous
        clusters = sorted(case.record.clusters, key=lambda c: (c.distribution.value != "grouped", -c.n_calcifications))
        if clusters:
            sheet.paste(zoom_tile(case, clusters[0]), (x, TILE[1] + 8))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
