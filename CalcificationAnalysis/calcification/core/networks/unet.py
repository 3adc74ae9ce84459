"""Plain U-Net (Ronneberger et al., "U-Net: Convolutional networks for biomedical image segmentation", MICCAI 2015).

The comparison baseline of the Pro_UNeXt benchmark table: double 3x3 conv (+ BN + ReLU; BN is the common modern
addition) per level, 2x2 max pooling down, 2x2 transposed conv up, skip by concatenation, 1x1 conv to one logit.
Same-padded convolutions, so output size = input size; inputs are padded by edge replication to a multiple of
2**depth and cropped back.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .blocks import check_input, conv_bn_act, pad_to_multiple


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two (3x3 conv, BN, ReLU) layers, the U-Net level block."""
    return nn.Sequential(conv_bn_act(in_channels, out_channels), conv_bn_act(out_channels, out_channels))


class UNet(nn.Module):
    """U-Net with ``depth`` poolings and widths ``base_width * 2**level``; (N, C, H, W) -> (N, 1, H, W) logits.

    Parameters
    ----------
    in_channels : int
    base_width : int
        Width of the first level (64 in Ronneberger et al.).
    depth : int
        Number of 2x downsamplings (4 in Ronneberger et al.).
    """

    def __init__(self, in_channels: int = 1, base_width: int = 64, depth: int = 4):
        super().__init__()
        widths = [base_width * 2**level for level in range(depth + 1)]
        self.in_channels = in_channels
        self.total_stride = 2**depth
        self.down = nn.ModuleList([double_conv(in_channels, widths[0])])
        self.down.extend(double_conv(widths[i], widths[i + 1]) for i in range(depth))
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth))
        )
        self.up = nn.ModuleList(double_conv(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) float32 -> (N, 1, H, W) float32 logits."""
        check_input(x, self.in_channels)
        x, (height, width) = pad_to_multiple(x, self.total_stride)
        skips = [self.down[0](x)]
        for block in self.down[1:]:
            skips.append(block(F.max_pool2d(skips[-1], 2)))
        x = skips.pop()
        for upsample, block in zip(self.upsample, self.up, strict=True):
            x = block(torch.cat([upsample(x), skips.pop()], dim=1))
        return self.head(x)[..., :height, :width]
