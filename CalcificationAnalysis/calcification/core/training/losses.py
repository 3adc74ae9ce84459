"""Losses for calcification segmentation (Tong et al., Front. Oncol. 2024, section 2.3).

Phase 1 trains with focal + Dice loss: calcifications cover well under 1% of a crop, so plain cross-entropy is
dominated by easy background pixels; the focal term (Lin et al., ICCV 2017) down-weights them and the soft Dice term
(Milletari et al. 2016) scores the overlap directly. Phase 2 fine-tunes with the Hausdorff distance-transform loss of
Karimi & Salcudean (IEEE TMI 2020), which penalises errors by their distance to the true and predicted boundaries, so
the outlines the radiologist measures get sharper.

All functions take logits (N, 1, H, W) float and targets (N, 1, H, W) in {0, 1} (float or uint8) and return a scalar
tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage


@dataclass(frozen=True)
class LossConfig:
    """Weights and shape parameters of the training losses.

    Attributes
    ----------
    focal_alpha : float
        Weight of the positive class in the focal loss, in (0, 1).
    focal_gamma : float
        Focusing exponent; 0 gives (alpha-weighted) binary cross-entropy.
    focal_weight, dice_weight : float
        Phase-1 loss = focal_weight * focal + dice_weight * Dice.
    hausdorff_weight : float
        Share of the HD-DT term in the phase-2 loss relative to the phase-1 loss: the HD-DT term is rescaled each
        step to ``hausdorff_weight`` times the phase-1 loss's value (Karimi & Salcudean balance the two terms this
        way; raw squared distances are hundreds of times larger than a Dice loss and would swamp it).
    hausdorff_alpha : float
        Exponent of the distances in the HD-DT loss (Karimi & Salcudean use 2).
    """

    focal_alpha: float = 0.75
    focal_gamma: float = 2.0
    focal_weight: float = 1.0
    dice_weight: float = 1.0
    hausdorff_weight: float = 1.0
    hausdorff_alpha: float = 2.0


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 0.75, gamma: float = 2.0) -> torch.Tensor:
    """Mean binary focal loss ``-alpha_t (1 - p_t)^gamma log(p_t)`` over all pixels (Lin et al. 2017)."""
    target = target.to(logits.dtype)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-bce)  # probability given to the true class, computed stably from the BCE
    alpha_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    return (alpha_t * (1.0 - p_t) ** gamma * bce).mean()


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """``1 - soft Dice`` pooled over the batch (one ratio, so crops without calcifications do not give 0/0)."""
    target = target.to(logits.dtype)
    probability = torch.sigmoid(logits)
    intersection = (probability * target).sum()
    return 1.0 - (2.0 * intersection + smooth) / (probability.sum() + target.sum() + smooth)


def focal_dice_loss(logits: torch.Tensor, target: torch.Tensor, config: LossConfig = LossConfig()) -> torch.Tensor:
    """Phase-1 loss: ``focal_weight * focal + dice_weight * Dice``."""
    focal = focal_loss(logits, target, config.focal_alpha, config.focal_gamma)
    return config.focal_weight * focal + config.dice_weight * soft_dice_loss(logits, target)


def _distance_maps(masks: np.ndarray) -> np.ndarray:
    """Unsigned distance (pixels) of every pixel to the boundary of each (H, W) mask in ``masks`` (N, H, W).

    Inside and outside distances are added, as Karimi & Salcudean do; an empty or full mask has no boundary and gets
    zero distances, so it adds no boundary penalty (the focal and Dice terms still act).
    """
    out = np.zeros(masks.shape, np.float32)
    for k, mask in enumerate(masks):
        if mask.any() and not mask.all():
            out[k] = ndimage.distance_transform_edt(~mask) + ndimage.distance_transform_edt(mask)
    return out


def hausdorff_dt_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    """Hausdorff distance-transform loss (Karimi & Salcudean 2020, eq. 8).

    ``mean((p - g)^2 * (d_g^alpha + d_p^alpha))`` where d_g and d_p are distance maps (pixels) of the true and the
    thresholded predicted boundaries. The distance maps are constants (no gradient), computed on the CPU. It is 0
    for a perfect prediction and grows with the distance of the wrongly labelled pixels to the boundary.
    """
    probability = torch.sigmoid(logits)
    target = target.to(probability.dtype)
    with torch.no_grad():
        true_masks = target[:, 0].detach().cpu().numpy() > 0.5
        predicted_masks = probability[:, 0].detach().float().cpu().numpy() > 0.5
        distances = _distance_maps(true_masks) ** alpha + _distance_maps(predicted_masks) ** alpha
        weight = torch.from_numpy(distances).to(device=logits.device, dtype=probability.dtype)[:, None]
    return ((probability - target) ** 2 * weight).mean()


def phase_two_loss(logits: torch.Tensor, target: torch.Tensor, config: LossConfig = LossConfig()) -> torch.Tensor:
    """Phase-2 (fine-tuning) loss: the phase-1 loss plus the HD-DT loss rescaled to ``hausdorff_weight`` times the
    phase-1 loss's value (the scale is a constant of the step, so gradients keep the HD-DT term's direction)."""
    base = focal_dice_loss(logits, target, config)
    boundary = hausdorff_dt_loss(logits, target, config.hausdorff_alpha)
    scale = (base.detach() / boundary.detach().clamp_min(1e-8)).clamp(max=1.0)
    return base + config.hausdorff_weight * scale * boundary
