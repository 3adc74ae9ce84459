"""Table 2 of Tong et al. (Front. Oncol. 2024) on synthetic data: Pro_UNeXt, UNeXt (original and small) and a
plain UNet trained the same way and measured on the same held-out cases (issue 4).

"The same way": the same synthetic training cases (series 1000, each its own patient), the same single split (the
first of the five patient-grouped folds: 80% train, 20% choose the best epoch), crops, batch, loss schedule (focal +
Dice, then Hausdorff fine-tuning), learning rate, steps and seed; only the network differs. The budget is sized for 2
CPU cores, so every network sees fewer crops than the shipped 5-fold model did; compare the rows with each other,
not with the shipped model (printed last for reference). UNet is the CPU-width preset ``unet_cpu`` (base width 8):
the full-width UNet does not train in a CPU session.

Each trained network is then measured with ``calcification evaluate-segmenter`` on held-out synthetic cases (series
9000, never used for training) at threshold 0.5: pooled pixel Dice, IoU, specificity and recall with 95% bootstrap
intervals over images (the paper's Table 2 columns), plus object recall and false objects per cm² (0.35 mm / IoU 0.3
rule of Marasinou et al. 2023).

Run (about 36 minutes on 2 CPU cores with the defaults):
    .venv/bin/python Testing/Benchmarks/benchmark_network_comparison.py [--cases 200] [--epochs 8]
        [--fine-tune-epochs 2] [--steps 60] [--test-cases 20] [--presets pro_unext_cpu unext_s unext unet_cpu]
        [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

TABLE_COLUMNS = ("dice", "iou", "specificity", "recall")


def train(preset: str, cases, args, out: Path) -> tuple[Path, float, int]:
    """Train one network on ``cases`` (fold 0 of 5); (model folder, minutes, parameter count)."""
    from calcification.core.networks.factory import build_preset, count_parameters
    from calcification.core.training.segmenter_training import train_segmenter
    from calcification.core.training.training_config import TrainingConfig

    config = TrainingConfig(
        preset=preset,
        steps_per_epoch=args.steps,
        phase_one_epochs=args.epochs,
        phase_two_epochs=args.fine_tune_epochs,
        augment=False,
        seed=0,
        device="cpu",
    )
    folder = out / f"compare_{preset}"
    start = time.perf_counter()
    train_segmenter(
        cases,
        folder,
        f"compare_{preset}",
        config,
        folds=1,
        overwrite=True,
        synthetic_training=True,
        trained_on=f"{len(cases)} synthetic cases, series 1000 (comparison run)",
    )
    return folder, (time.perf_counter() - start) / 60.0, count_parameters(build_preset(preset))


def evaluate(model: str, args, out: Path) -> dict:
    """``calcification evaluate-segmenter`` on the held-out series; its evaluation.json as a dict."""
    from calcification.cli.main import main

    folder = out / f"evaluation_{Path(model).name}"
    code = main(
        [
            "evaluate-segmenter",
            "--synthetic",
            str(args.test_cases),
            "--synthetic-seed",
            "9000",
            "--synthetic-shape",
            "1024,768",
            "--method",
            "network",
            "--model",
            str(model),
            "--threshold",
            "0.5",
            "--out",
            str(folder),
        ]
    )
    if code != 0:
        raise SystemExit(f"evaluate-segmenter failed for {model} (exit {code})")
    return json.loads((folder / "evaluation.json").read_text(encoding="utf-8"))


def table_row(name: str, parameters: str, minutes: str, evaluation: dict) -> str:
    cells = [name, parameters, minutes]
    for column in TABLE_COLUMNS:
        ci = evaluation["pooled"][column]
        cells.append(f"{ci['value']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]")
    recall = evaluation["object_recall"]
    cells.append(f"{recall['value']:.3f} [{recall['low']:.3f}, {recall['high']:.3f}]")
    cells.append(f"{evaluation['fp_per_cm2']:.3f}")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200, help="synthetic training cases, series 1000 (200)")
    parser.add_argument("--epochs", type=int, default=8, help="focal + Dice epochs (8)")
    parser.add_argument("--fine-tune-epochs", type=int, default=2, help="Hausdorff-loss epochs (2)")
    parser.add_argument("--steps", type=int, default=60, help="optimiser steps of 8 crops per epoch (60)")
    parser.add_argument("--test-cases", type=int, default=20, help="held-out synthetic cases, series 9000 (20)")
    parser.add_argument("--presets", nargs="+", default=["pro_unext_cpu", "unext_s", "unext", "unet_cpu"])
    parser.add_argument("--out", type=Path, help="keep models and evaluations here (default: a temporary folder)")
    args = parser.parse_args()

    from calcification.core.models.model_card import NormalisationSpec
    from calcification.core.networks.factory import count_parameters
    from calcification.core.segmentation.network_method import DEFAULT_MODEL_NAME, load_model_cached
    from calcification.core.training.training_cases import synthetic_training_cases
    from calcification.core.training.training_config import TrainingConfig

    with tempfile.TemporaryDirectory() as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        spacing = TrainingConfig().spacing_mm
        cases = list(synthetic_training_cases(args.cases, 1000, (1024, 768), spacing, NormalisationSpec()))
        print(f"{len(cases)} training cases prepared in {time.perf_counter() - start:.0f} s", flush=True)
        header = (
            "| Network | Parameters | Training (min) | Dice | IoU | Specificity | Recall (pixel) | "
            "Object recall | False objects / cm² |"
        )
        rows, results = [], {}
        for preset in args.presets:
            folder, minutes, parameters = train(preset, cases, args, out)
            evaluation = evaluate(str(folder), args, out)
            results[preset] = {"parameters": parameters, "training_minutes": round(minutes, 2), **evaluation}
            rows.append(table_row(preset, f"{parameters:,}", f"{minutes:.1f}", evaluation))
            print(f"{preset}: trained in {minutes:.1f} min; " + rows[-1], flush=True)
        shipped = evaluate(DEFAULT_MODEL_NAME, args, out)
        loaded = load_model_cached(DEFAULT_MODEL_NAME)
        members = f"{len(loaded.networks)} x {count_parameters(loaded.networks[0]):,}"
        rows.append(table_row(f"{DEFAULT_MODEL_NAME} (shipped ensemble, its own budget)", members, "-", shipped))
        print(
            f"\nSettings: {args.cases} training cases (series 1000), fold 0 of 5, {args.epochs} + "
            f"{args.fine_tune_epochs} epochs x {args.steps} steps x 8 crops of 256 px, no augmentation, seed 0; "
            f"{args.test_cases} held-out cases (series 9000), threshold 0.5, 95% bootstrap intervals over images."
        )
        print("\n" + header + "\n|" + " --- |" * 9 + "\n" + "\n".join(rows))
        if args.out:
            (out / "comparison.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
