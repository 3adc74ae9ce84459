"""UNeXt (Valanarasu & Patel, "UNeXt: MLP-based rapid medical image segmentation network", MICCAI 2022).

A comparison network for the Pro_UNeXt benchmark table, following the authors' reference implementation
(github.com/jeya-maria-jose/UNeXt-pytorch, ``archs.py``), written anew:

- Three conv stages (3x3 conv, BN, 2x2 max pool, ReLU), widths c1, c2, c3.
- Two tokenized-MLP stages (overlapping patch embedding 3x3 stride 2, shifted-MLP block, layer norm), widths t1, t2.
- Decoder: 3x3 conv, BN, bilinear x2 upsampling, ReLU, skip added; shifted-MLP blocks after the first two decoder
  stages; the last stage has no BN; 1x1 conv to the logit.

Configurations: :data:`UNEXT_WIDTHS` (16, 32, 128, 160, 256; the paper's UNeXt) and :data:`UNEXT_S_WIDTHS`
(8, 16, 32, 64, 128; UNeXt-S). Single-channel input, one logit out. Total stride 32: inputs are padded by edge
replication to a multiple of 32 and cropped back.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .blocks import ChannelLayerNorm, ShiftedMLP, TokenizedMLPBlock, check_input, pad_to_multiple

UNEXT_WIDTHS = (16, 32, 128, 160, 256)
UNEXT_S_WIDTHS = (8, 16, 32, 64, 128)


class _DecoderTokenBlock(nn.Module):
    """UNeXt decoder token stage: pre-norm shifted-MLP residual, then layer norm (same channels)."""

    def __init__(self, channels: int):
        super().__init__()
        self.pre_norm = ChannelLayerNorm(channels)
        self.mlp = ShiftedMLP(channels)
        self.post_norm = ChannelLayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.post_norm(x + self.mlp(self.pre_norm(x)))


class UNeXt(nn.Module):
    """UNeXt with widths (c1, c2, c3, t1, t2); (N, in_channels, H, W) -> (N, 1, H, W) logits.

    Parameters
    ----------
    in_channels : int
    widths : tuple of 5 ints
        Conv-stage widths c1..c3 then tokenized-stage widths t1, t2 (:data:`UNEXT_WIDTHS` by default).
    """

    total_stride = 32

    def __init__(self, in_channels: int = 1, widths: tuple[int, ...] = UNEXT_WIDTHS):
        super().__init__()
        widths = tuple(widths)
        if len(widths) != 5:
            raise ValueError(f"UNeXt needs 5 widths (c1, c2, c3, t1, t2), got {widths}.")
        c1, c2, c3, t1, t2 = widths
        self.in_channels = in_channels
        self.widths = widths
        self.encoder = nn.ModuleList(
            nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o))
            for i, o in ((in_channels, c1), (c1, c2), (c2, c3))
        )
        self.tokenized = nn.ModuleList([TokenizedMLPBlock(c3, t1), TokenizedMLPBlock(t1, t2)])
        pairs = ((t2, t1), (t1, c3), (c3, c2), (c2, c1), (c1, c1))
        self.decoder = nn.ModuleList(nn.Conv2d(i, o, 3, padding=1) for i, o in pairs)
        self.decoder_bn = nn.ModuleList(nn.BatchNorm2d(o) for _, o in pairs[:4])
        self.decoder_tokens = nn.ModuleList([_DecoderTokenBlock(t1), _DecoderTokenBlock(c3)])
        self.head = nn.Conv2d(c1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) float32 -> (N, 1, H, W) float32 logits."""
        check_input(x, self.in_channels)
        x, (height, width) = pad_to_multiple(x, self.total_stride)
        skips = []
        for stage in self.encoder:
            x = F.relu(F.max_pool2d(stage(x), 2, 2))
            skips.append(x)
        for stage in self.tokenized:
            x = stage(x)
            skips.append(x)
        x = skips.pop()  # the bottleneck is not a skip
        for k, conv in enumerate(self.decoder):
            x = conv(x)
            if k < len(self.decoder_bn):
                x = self.decoder_bn[k](x)
            x = F.relu(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))
            if skips:
                x = x + skips.pop()
            if k < len(self.decoder_tokens):
                x = self.decoder_tokens[k](x)
        return self.head(x)[..., :height, :width]
