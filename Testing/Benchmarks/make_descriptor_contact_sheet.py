"""Contact sheet of the BI-RADS descriptors on the real mini-MIAS development images with calcifications, for a
human to judge (issue 30). Writes a PNG OUTSIDE the repository (the images must never be copied in).

For each annotated calcification cluster (Info.txt: centre and radius, y from the bottom) a 20 x 20 mm window
around it, drawn 3x, with the detected calcifications outlined (yellow), the annotated circle (green) and, below,
the finding nearest the annotation: its morphology (runner-up), distribution (runner-up), suggested category with
the figure it rests on, and the measured evidence. The pathology (B/M) is printed last, after the descriptors.

Usage (from the repository root)::

    PYTHONPATH=CalcificationAnalysis .venv/bin/python Testing/Benchmarks/make_descriptor_contact_sheet.py
        --mias ../shared/data/minimias-dev --out /tmp/descriptor_contact_sheet.png [--segmenter hdog_filtered]
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

SPACING_MM = 0.2
WINDOW_MM = 20.0
SCALE = 3
TEXT_LINES = 12


def annotations(mias: Path) -> list[tuple[str, str, float, float, float]]:
    """(name, B/M, row, col, radius px) of every calcification record."""
    found = []
    for line in (mias / "Info.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 7 and parts[2] == "CALC":
            found.append((parts[0], parts[3], 1024 - float(parts[5]), float(parts[4]), float(parts[6])))
    return found


def nearest_finding(description, measurements, row: float, col: float):
    best, distance = None, np.inf
    for finding in description.findings:
        rows = list(finding.rows)
        d = np.min(np.hypot(measurements.centroid_row_px[rows] - row, measurements.centroid_col_px[rows] - col))
        if d < distance:
            best, distance = finding, d
    return best, distance * SPACING_MM


def tile(pixels, labels, row, col, radius, lines) -> Image.Image:
    half = int(WINDOW_MM / SPACING_MM / 2)
    r0, c0 = int(max(row - half, 0)), int(max(col - half, 0))
    crop = pixels[r0 : r0 + 2 * half, c0 : c0 + 2 * half].astype(np.float64)
    low, high = np.percentile(crop, [1, 99.9])
    grey = (np.clip((crop - low) / max(high - low, 1e-6), 0, 1) * 255).astype(np.uint8)
    rgb = np.repeat(np.kron(grey, np.ones((SCALE, SCALE), np.uint8))[..., None], 3, axis=2)
    mask = np.kron(labels[r0 : r0 + 2 * half, c0 : c0 + 2 * half] > 0, np.ones((SCALE, SCALE), bool))
    outline = ndimage.binary_dilation(mask, iterations=2) & ~ndimage.binary_dilation(mask)
    rgb[outline] = (255, 220, 0)
    image = Image.new("RGB", (rgb.shape[1], rgb.shape[0] + 14 * TEXT_LINES), "white")
    image.paste(Image.fromarray(rgb), (0, 0))
    draw = ImageDraw.Draw(image)
    cy, cx, r = (row - r0) * SCALE, (col - c0) * SCALE, radius * SCALE
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(0, 200, 0))
    wrapped = [w for line in lines for w in textwrap.wrap(line, 52)][:TEXT_LINES]
    for i, text in enumerate(wrapped):
        draw.text((3, rgb.shape[0] + 1 + 14 * i), text, fill="black")
    return image


def describe_tile(record, args):
    from calcification.core.analysis import analyze_mask
    from calcification.core.io import read_mammogram
    from calcification.core.masking.breast_mask import compute_breast_mask
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram

    name, severity, row, col, radius = record
    mammogram = read_mammogram(args.mias / f"{name}.pgm", spacing_mm=(SPACING_MM, SPACING_MM))
    method, _, model = args.segmenter.partition(":")
    mask = segment_mammogram(mammogram, SegmenterChoice(method, model=model or None)).mask
    breast = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
    analysis = analyze_mask(mammogram.pixels, mask, mammogram.spacing_mm, breast)
    finding, distance = nearest_finding(analysis.description, analysis.measurements, row, col)
    if finding is None or distance > radius * SPACING_MM + 10:
        lines = [f"{name}: no finding near the annotation ({analysis.calcification_count} calcifications found)"]
    else:
        m, d, a = finding.morphology, finding.distribution, finding.assessment
        lines = [
            f"{name} finding {finding.finding_id}: {finding.count} calcifications",
            f"morphology {m.morphology.value} (runner-up {m.runner_up.value if m.runner_up else '-'})",
            f"distribution {d.distribution.value} (runner-up {d.runner_up.value if d.runner_up else '-'})",
            f"{a.category.label} suggested: {a.figure_text}",
            f"evidence: {m.evidence}",
        ]
    lines.append(f"pathology: {'malignant' if severity == 'M' else 'benign'}")
    return tile(mammogram.pixels, analysis.labels, row, col, radius, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mias", type=Path, default=Path("../shared/data/minimias-dev"))
    parser.add_argument("--out", type=Path, required=True, help="PNG to write, outside the repository")
    parser.add_argument("--segmenter", default="hdog_filtered")
    args = parser.parse_args()
    repository = Path(__file__).resolve().parents[2]
    if repository in args.out.resolve().parents:
        parser.error("write the contact sheet outside the repository: it shows real patient images")
    tiles = [describe_tile(record, args) for record in annotations(args.mias)]
    columns = 4
    width, height = tiles[0].size
    sheet = Image.new("RGB", (columns * width, -(-len(tiles) // columns) * height), "white")
    for i, picture in enumerate(tiles):
        sheet.paste(picture, ((i % columns) * width, (i // columns) * height))
    sheet.save(args.out)
    print(f"{args.out}: {len(tiles)} annotated clusters")


if __name__ == "__main__":
    main()
