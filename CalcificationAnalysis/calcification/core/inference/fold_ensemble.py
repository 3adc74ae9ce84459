"""The fold ensemble as one network: the mean and the across-fold standard deviation of the fold probabilities.

The one owner of how fold outputs are combined (Tong et al. 2024 average five folds). PyTorch runs it directly, and
the exported graph other engines run (:mod:`.exported_graphs`) is traced from this same module, so both compute the
same formula.
"""

from __future__ import annotations

import torch


class FoldEnsemble(torch.nn.Module):
    """``forward(tiles (B, 1, h, w) float32) -> (B, 2, h, w) float32``: channel 0 the fold-averaged probability,
    channel 1 the per-pixel standard deviation of the probability across folds (0 for a single fold).

    The spread is computed per tile, before blending, so disagreement between overlapping tiles of one network is
    not mistaken for disagreement between folds.
    """

    def __init__(self, networks):
        super().__init__()
        self.folds = torch.nn.ModuleList(networks)

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        probabilities = [torch.sigmoid(network(tiles).float()) for network in self.folds]
        # Element-wise sums: torch.std over a stacked fold axis was ~40x slower on CPU.
        mean = sum(probabilities) / len(probabilities)
        variance = sum((p - mean) ** 2 for p in probabilities) / len(probabilities)
        return torch.cat([mean, variance.sqrt()], dim=1)
