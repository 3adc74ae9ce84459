"""Training throughput and a small end-to-end training run on 2 CPU cores (issue 7 targets).

1. Throughput: augmented crops per second through forward + backward + optimiser step for the default variant
   (``pro_unext_cpu``), at the default crop size and batch, after a warm-up.
2. End to end: ``calcification train-segmenter`` on about 40 synthetic cases, 2 folds, a few epochs, into a temporary
   user model folder (registered there), then ``calcification segment --method network --model NAME`` on held-out
   synthetic cases (series 9000, never used for training) and the pooled pixel Dice of the trained model against an
   untrained network of the same architecture. Target: at most 10 minutes for the training, trained beats untrained.

Run: .venv/bin/python Testing/Benchmarks/benchmark_training.py [--cases 40] [--folds 2] [--epochs 3] [--steps 40]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def throughput(batches: int = 10) -> float:
    """Crops per second of the default training step (data, augmentation, forward, backward, step)."""
    from calcification.core.models.model_card import NormalisationSpec
    from calcification.core.networks.factory import build_preset
    from calcification.core.training.crop_batches import CropBatcher
    from calcification.core.training.losses import focal_dice_loss
    from calcification.core.training.training_cases import synthetic_training_cases
    from calcification.core.training.training_config import TrainingConfig

    config = TrainingConfig()
    cases = list(synthetic_training_cases(8, 1000, (1024, 768), config.spacing_mm, NormalisationSpec()))
    batcher = CropBatcher(cases, config, np.random.default_rng(0))
    network = build_preset(config.preset)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate)

    def step() -> None:
        images, masks = batcher.next_batch()
        loss = focal_dice_loss(network(torch.from_numpy(images)), torch.from_numpy(masks))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(batches):
        step()
    return batches * config.batch_size / (time.perf_counter() - start)


def pooled_dice(model, cases) -> float:
    from calcification.core.segmentation import SegmenterChoice, segment_mammogram

    overlap = total = 0
    for case in cases:
        mask = segment_mammogram(case.mammogram, SegmenterChoice("network", model=model)).mask
        overlap += int(np.count_nonzero(mask & case.mask))
        total += int(np.count_nonzero(mask) + np.count_nonzero(case.mask))
    return 2.0 * overlap / max(total, 1)


def untrained_model(folder: Path, preset: str) -> Path:
    from calcification.core.models.model_card import ModelCard
    from calcification.core.models.model_store import save_model
    from calcification.core.networks.factory import PRESETS, build_preset

    architecture, kwargs = PRESETS[preset]
    torch.manual_seed(0)
    save_model(
        folder,
        ModelCard(name="untrained", architecture=architecture, architecture_kwargs=dict(kwargs)),
        [build_preset(preset)],
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--held-out", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"throughput: {throughput():.1f} augmented 256 x 256 crops per second (pro_unext_cpu, batch 8, 2 threads)")

    from calcification.cli.main import main as cli
    from calcification.core.synthetic import SynthesisConfig, generate_case

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CALCIFICATION_MODELS_DIR"] = tmp
        start = time.perf_counter()
        code = cli(
            [
                "train-segmenter",
                "--synthetic",
                str(args.cases),
                "--name",
                "benchmark",
                "--folds",
                str(args.folds),
                "--epochs",
                str(args.epochs),
                "--fine-tune-epochs",
                "1",
                "--steps",
                str(args.steps),
                "--device",
                "cpu",
            ]
        )
        minutes = (time.perf_counter() - start) / 60
        print(
            f"end to end: {args.cases} cases, {args.folds} folds, {args.epochs}+1 epochs x {args.steps} steps: "
            f"{minutes:.1f} min (target 10 min), exit code {code}"
        )
        held_out = [generate_case(SynthesisConfig(shape=(1024, 768)), 9000, k) for k in range(args.held_out)]
        trained = pooled_dice("benchmark", held_out)
        untrained = pooled_dice(untrained_model(Path(tmp) / "untrained", "pro_unext_cpu"), held_out)
        print(
            f"held-out Dice ({args.held_out} synthetic cases, series 9000): trained {trained:.3f}, "
            f"untrained {untrained:.3f}"
        )


if __name__ == "__main__":
    main()
