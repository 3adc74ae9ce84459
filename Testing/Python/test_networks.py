"""Networks: output shapes for every variant on odd sizes, the paper configuration, UNeXt's shifted MLP, the factory,
and a few-step overfit on one tiny crop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from calcification.core.errors import InputError
from calcification.core.networks.blocks import FusedMBConv, TokenizedMLPBlock, shift_by_channel_groups
from calcification.core.networks.factory import PRESETS, build_network, build_preset, count_parameters
from calcification.core.networks.pro_unext import PAPER_WIDTHS, ProUNeXt

torch.set_num_threads(2)

#: Every architecture at a size the shared CPU runs in milliseconds (the paper width has its own test).
SMALL_VARIANTS = [
    ("pro_unext", {"width_multiplier": 0.125, "expansion": 2.0}),
    ("pro_unext", {"width_multiplier": 1 / 16, "expansion": 1.0, "mbconv_depth": 2}),
    ("unext", {}),
    ("unext_s", {}),
    ("unet", {"base_width": 8}),
]


@pytest.mark.parametrize("architecture, kwargs", SMALL_VARIANTS)
@pytest.mark.parametrize("shape", [(2, 1, 97, 130), (1, 1, 64, 64), (1, 1, 33, 7)])
def test_every_variant_keeps_the_input_size(architecture, kwargs, shape):
    torch.manual_seed(0)
    network = build_network(architecture, kwargs).eval()
    with torch.inference_mode():
        logits = network(torch.randn(shape))
    assert logits.shape == (shape[0], 1, *shape[2:])
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


def test_paper_configuration_builds_with_the_paper_widths(capsys):
    network = build_preset("pro_unext_paper").eval()
    assert network.widths == PAPER_WIDTHS
    count = count_parameters(network)
    cpu_count = count_parameters(build_preset("pro_unext_cpu"))
    with capsys.disabled():
        print(f"\nPro_UNeXt paper widths {PAPER_WIDTHS}: {count:,} parameters; CPU default: {cpu_count:,}")
    assert count > 40 * cpu_count  # widths x8 -> parameters roughly x64
    with torch.inference_mode():
        logits = network(torch.randn(1, 1, 64, 64))
    assert logits.shape == (1, 1, 64, 64)


@pytest.mark.parametrize("preset, published_millions", [("unext", 1.47), ("unext_s", 0.25), ("unet", 31.04)])
def test_comparison_networks_have_their_published_sizes(preset, published_millions):
    """UNeXt 1.47 M and UNeXt-S 0.25 M parameters (Valanarasu & Patel 2022, Table 1), U-Net 31.0 M (with BN)."""
    assert round(count_parameters(build_preset(preset)) / 1e6, 2) == published_millions


def test_shift_matches_unext_reference_pad_roll_crop():
    """UNeXt pads by groups // 2, rolls channel chunk g by g - pad and crops: a zero-filled shift."""
    for channels, dim in [(10, 2), (10, 3), (7, 2), (3, 3)]:  # 7 and 3 channels: torch.chunk makes fewer chunks
        x = torch.randn(2, channels, 6, 9)
        padded = F.pad(x, (2, 2, 2, 2))
        rolled = [torch.roll(c, s, dim) for c, s in zip(torch.chunk(padded, 5, 1), range(-2, 3), strict=False)]
        reference = torch.cat(rolled, 1)[:, :, 2:-2, 2:-2]
        assert torch.equal(shift_by_channel_groups(x, 5, dim), reference)


def test_tokenized_block_halves_resolution_and_fused_mbconv_adds_residual_only_when_shapes_match():
    block = TokenizedMLPBlock(8, 16, embed_stride=2)
    assert block(torch.randn(1, 8, 13, 10)).shape == (1, 16, 7, 5)
    assert FusedMBConv(8, 8, stride=1).use_residual
    assert not FusedMBConv(8, 16, stride=1).use_residual
    assert not FusedMBConv(8, 8, stride=2).use_residual
    assert FusedMBConv(8, 16, stride=2)(torch.randn(1, 8, 9, 9)).shape == (1, 16, 5, 5)


def test_factory_reads_json_arguments_and_refuses_bad_ones():
    network = build_network("pro_unext", {"widths": [4, 4, 8, 8, 8, 8, 8], "expansion": 1})
    assert isinstance(network, ProUNeXt) and network.widths == (4, 4, 8, 8, 8, 8, 8)
    with pytest.raises(InputError, match="Unknown network architecture"):
        build_network("resnet", {})
    with pytest.raises(InputError, match="takes no argument"):
        build_network("unext", {"width_multiplier": 2})
    with pytest.raises(InputError, match="Cannot build"):
        build_network("pro_unext", {"widths": [4, 4]})
    assert set(PRESETS) >= {
        "pro_unext_paper",
        "pro_unext_cpu",
        "pro_unext_cpu_wide",
        "unext",
        "unext_s",
        "unet",
        "unet_cpu",
    }
    assert count_parameters(build_preset("unet_cpu")) == 486_409  # base width 8: the size class of pro_unext_cpu
    wide = build_preset("pro_unext_cpu_wide")
    assert wide.widths == tuple(2 * w for w in build_preset("pro_unext_cpu").widths)
    assert count_parameters(wide) == 3_195_841


def _focal_dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary focal loss (gamma 2) plus soft Dice loss."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    focal = ((1 - torch.exp(-bce)) ** 2 * bce).mean()
    probability = torch.sigmoid(logits)
    dice = 1 - (2 * (probability * target).sum() + 1) / (probability.sum() + target.sum() + 1)
    return focal + dice


def test_cpu_pro_unext_overfits_one_crop():
    """30 Adam steps on one 64 x 64 crop with three bright spots: the focal + Dice loss must fall clearly."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    image = rng.normal(0.3, 0.05, (64, 64)).astype(np.float32)
    target = np.zeros((64, 64), np.float32)
    for r, c in [(12, 20), (40, 45), (50, 10)]:
        target[r - 2 : r + 3, c - 2 : c + 3] = 1.0
    image += 0.5 * target
    x, y = torch.from_numpy(image)[None, None], torch.from_numpy(target)[None, None]
    network = build_preset("pro_unext_cpu")
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-2)
    losses = []
    for _ in range(30):
        optimiser.zero_grad()
        loss = _focal_dice_loss(network(x), y)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
