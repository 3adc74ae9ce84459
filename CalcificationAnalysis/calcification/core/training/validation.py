"""Validation Dice of a network on whole validation images, predicted as at inference (512 tiles, 20% overlap,
blended) and scored inside the breast region: the number that picks each fold's best epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..inference.tiling import TilingConfig, predict_tiled
from .training_cases import TrainingCase


def validation_dice(network, cases: Sequence[TrainingCase], device, threshold: float = 0.5) -> float:
    """Pixel Dice pooled over ``cases`` (one ratio over all their breast pixels), in [0, 1].

    Pooling, rather than averaging per image, keeps images without calcifications from scoring 0/0; when no image
    has a true or predicted calcification pixel the Dice is 1 (nothing to find, nothing found).
    """
    import torch

    network.eval()

    def predict(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return torch.sigmoid(network(torch.from_numpy(batch).to(device)).float()).cpu().numpy()

    overlap = predicted = true = 0
    for case in cases:
        probability = predict_tiled(case.image, predict, 1, TilingConfig(), case.region)[0]
        found = (probability >= threshold) & case.region
        truth = case.mask.astype(bool) & case.region
        overlap += int(np.count_nonzero(found & truth))
        predicted += int(np.count_nonzero(found))
        true += int(np.count_nonzero(truth))
    network.train()
    return 1.0 if predicted + true == 0 else 2.0 * overlap / (predicted + true)
