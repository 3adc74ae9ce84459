"""Training losses (focal, Dice, Hausdorff distance-transform) and patient-grouped folds."""

import numpy as np
import pytest
import torch

from calcification.core.errors import InputError
from calcification.core.training.folds import grouped_folds
from calcification.core.training.losses import (
    LossConfig,
    focal_dice_loss,
    focal_loss,
    hausdorff_dt_loss,
    phase_two_loss,
    soft_dice_loss,
)


def _disc(size=48, centre=(24, 24), radius=5):
    rows, cols = np.mgrid[:size, :size]
    return ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2).astype(np.float32)


def _as_logits(mask, confidence=12.0):
    """Logits that put probability ~1 on the mask and ~0 elsewhere."""
    return torch.from_numpy((mask * 2 - 1) * confidence)[None, None]


def test_losses_are_near_zero_for_a_perfect_prediction():
    target = torch.from_numpy(_disc())[None, None]
    logits = _as_logits(_disc())
    assert float(focal_loss(logits, target)) < 1e-6
    assert float(soft_dice_loss(logits, target)) < 1e-3
    assert float(hausdorff_dt_loss(logits, target)) < 1e-6
    assert float(phase_two_loss(logits, target)) < 2e-3


def test_hausdorff_loss_grows_with_boundary_distance():
    target = torch.from_numpy(_disc(centre=(24, 24)))[None, None]
    losses = [float(hausdorff_dt_loss(_as_logits(_disc(centre=(24, 24 + shift))), target)) for shift in (2, 6, 12)]
    assert losses[0] < losses[1] < losses[2]


def test_focal_loss_down_weights_easy_background():
    target = torch.zeros(1, 1, 8, 8)
    easy, hard = torch.full((1, 1, 8, 8), -6.0), torch.full((1, 1, 8, 8), 0.0)
    assert float(focal_loss(easy, target)) < 1e-3 * float(focal_loss(hard, target))


def test_dice_loss_handles_a_batch_without_calcifications():
    target = torch.zeros(2, 1, 16, 16)
    assert float(soft_dice_loss(torch.full((2, 1, 16, 16), -10.0), target)) < 0.05
    assert float(soft_dice_loss(torch.full((2, 1, 16, 16), 10.0), target)) > 0.9


def test_losses_have_gradients():
    target = torch.from_numpy(_disc())[None, None]
    logits = torch.zeros(1, 1, 48, 48, requires_grad=True)
    (focal_dice_loss(logits, target, LossConfig()) + phase_two_loss(logits, target)).backward()
    assert logits.grad is not None and float(logits.grad.abs().sum()) > 0


def test_folds_never_share_a_patient_and_cover_every_case():
    patients = [f"p{k // 2}" for k in range(20)] + ["p_single"]  # two views per patient, one with a single image
    splits = grouped_folds(patients, folds=5, seed=3)
    seen = []
    for train, validation in splits:
        assert not {patients[i] for i in train} & {patients[i] for i in validation}
        assert len(np.intersect1d(train, validation)) == 0
        seen.extend(validation.tolist())
    assert sorted(seen) == list(range(len(patients)))
    assert max(len(v) for _, v in splits) - min(len(v) for _, v in splits) <= 2


def test_folds_are_reproducible_and_depend_on_the_seed():
    patients = [f"p{k}" for k in range(30)]
    first = [v.tolist() for _, v in grouped_folds(patients, 5, seed=1)]
    assert first == [v.tolist() for _, v in grouped_folds(patients, 5, seed=1)]
    assert first != [v.tolist() for _, v in grouped_folds(patients, 5, seed=2)]


def test_folds_refuse_too_few_patients():
    with pytest.raises(InputError, match="at least 5 different patients"):
        grouped_folds(["a", "a", "b", "c"], folds=5)
    with pytest.raises(InputError, match="at least 2 folds"):
        grouped_folds(["a", "b"], folds=1)
