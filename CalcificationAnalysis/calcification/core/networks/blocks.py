"""Building blocks of Pro_UNeXt and UNeXt: micro-calcification block, fused-MBConv with SE, tokenized-MLP block.

References
----------
- Tong et al., "Pro_UNeXt", Front. Oncol. 2024: micro-calcification block, fused-MBConv encoder, tokenized MLP.
- Tan & Le, "EfficientNetV2", ICML 2021: fused-MBConv (3x3 expand conv, SE, 1x1 projection).
- Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018.
- Valanarasu & Patel, "UNeXt: MLP-based rapid medical image segmentation network", MICCAI 2022: overlapping patch
  embedding, shifted MLP (tokens shifted by channel groups along one spatial axis before the MLP).

All blocks take and return (N, C, H, W) float32 tensors; the tokenized blocks flatten to (N, H*W, C) internally.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv_bn_act(in_channels: int, out_channels: int, stride: int = 1, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """3x3 convolution (no bias: BN follows), batch norm, activation. Spatial size / ``stride``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        act(inplace=True),
    )


class MicroCalcificationBlock(nn.Module):
    """Full-resolution stem of Pro_UNeXt: 3x3 conv, BN, ReLU at stride 1.

    No downsampling, so calcifications of 1-3 pixels (0.07-0.2 mm) are seen before any pooling can erase them.
    (N, in_channels, H, W) -> (N, out_channels, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = conv_bn_act(in_channels, out_channels, stride=1, act=nn.ReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class SqueezeExcitation(nn.Module):
    """Channel re-weighting: global average pool, 1x1 reduce, SiLU, 1x1 expand, sigmoid gate (Hu et al. 2018)."""

    def __init__(self, channels: int, squeeze_channels: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = torch.sigmoid(self.expand(F.silu(self.reduce(scale))))
        return x * scale


class FusedMBConv(nn.Module):
    """Fused-MBConv of EfficientNetV2 with squeeze-and-excitation.

    3x3 conv expanding to ``in_channels * expansion`` channels at ``stride`` + BN + SiLU, SE, 1x1 projection to
    ``out_channels`` + BN (no activation: linear bottleneck), residual added when input and output shapes match.
    (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).

    Parameters
    ----------
    expansion : float
        Hidden width as a multiple of ``in_channels`` (EfficientNetV2 uses 1 or 4).
    se_ratio : float
        SE bottleneck width as a fraction of ``in_channels`` (0.25 in EfficientNet); 0 disables SE.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 2, expansion: float = 4.0, se_ratio: float = 0.25
    ):
        super().__init__()
        hidden = max(1, int(round(in_channels * expansion)))
        self.expand = conv_bn_act(in_channels, hidden, stride=stride, act=nn.SiLU)
        squeeze = max(1, int(in_channels * se_ratio))
        self.se = SqueezeExcitation(hidden, squeeze) if se_ratio > 0 else nn.Identity()
        self.project = nn.Sequential(nn.Conv2d(hidden, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels))
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.se(self.expand(x)))
        return out + x if self.use_residual else out


def shift_by_channel_groups(x: torch.Tensor, groups: int, dim: int) -> torch.Tensor:
    """Shift channel group ``g`` of ``x`` by ``g - groups // 2`` pixels along ``dim``, filling with zeros.

    This is UNeXt's token shift: the reference pads by ``groups // 2``, rolls each channel chunk and crops, which
    is the same as a zero-filled shift; doing it directly avoids the padded copy. Zero filling (not wrapping) keeps
    the block translation-equivariant away from the border, which tiled inference relies on.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)
    groups : int
        Number of channel chunks (UNeXt: 5, i.e. shifts -2..2); chunks as :func:`torch.chunk` splits them.
    dim : int
        2 to shift along rows (height), 3 along columns (width).
    """
    pad = groups // 2
    # torch.chunk gives fewer chunks than groups when channels < groups; the unused shifts are simply dropped.
    chunks = torch.chunk(x, groups, dim=1)
    shifted = []
    for chunk, shift in zip(chunks, range(-pad, pad + 1), strict=False):
        shifted.append(_zero_shift(chunk, shift, dim))
    return torch.cat(shifted, dim=1)


def _zero_shift(x: torch.Tensor, shift: int, dim: int) -> torch.Tensor:
    """``x`` moved by ``shift`` pixels along ``dim`` (positive = towards higher indices), zeros shifted in."""
    size = x.shape[dim]
    if shift == 0:
        return x
    if abs(shift) >= size:
        return torch.zeros_like(x)
    zeros_shape = list(x.shape)
    zeros_shape[dim] = abs(shift)
    zeros = x.new_zeros(zeros_shape)
    if shift > 0:
        return torch.cat([zeros, x.narrow(dim, 0, size - shift)], dim=dim)
    return torch.cat([x.narrow(dim, -shift, size + shift), zeros], dim=dim)


class ShiftedMLP(nn.Module):
    """UNeXt's shifted MLP on a token map: shift along rows, linear, depthwise 3x3 conv, GELU, shift along columns,
    linear. Input and output (N, C, H, W); the linear layers act on the channel vector of each token.

    Parameters
    ----------
    channels : int
    hidden_ratio : float
        Hidden width / ``channels`` (UNeXt uses 1).
    shift_groups : int
        Channel chunks for the token shift (UNeXt: 5).
    """

    def __init__(self, channels: int, hidden_ratio: float = 1.0, shift_groups: int = 5):
        super().__init__()
        hidden = max(1, int(round(channels * hidden_ratio)))
        self.shift_groups = shift_groups
        # 1x1 convolutions are the per-token linear layers of the reference, without the flatten/transpose copies.
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc1(shift_by_channel_groups(x, self.shift_groups, dim=2))
        x = F.gelu(self.dwconv(x))
        return self.fc2(shift_by_channel_groups(x, self.shift_groups, dim=3))


class ChannelLayerNorm(nn.LayerNorm):
    """Layer norm over the channels of each pixel (token) of an (N, C, H, W) map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class TokenizedMLPBlock(nn.Module):
    """Tokenized-MLP stage of UNeXt: optional overlapping patch embedding, shifted-MLP residual block, layer norm.

    Encoder use (``embed_stride=2``): a 3x3 conv at stride 2 (overlapping patches) maps ``in_channels`` to
    ``out_channels`` tokens, layer-normed; then ``tokens + ShiftedMLP(LayerNorm(tokens))``; then a layer norm.
    Decoder use (``embed_stride=None``): the input already has ``out_channels`` (after upsampling and skip fusion)
    and is tokenised as it is. (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        embed_stride: int | None = 2,
        hidden_ratio: float = 1.0,
        shift_groups: int = 5,
    ):
        super().__init__()
        if embed_stride is None:
            if in_channels != out_channels:
                raise ValueError("A tokenized block without patch embedding keeps its channel count.")
            self.embed = nn.Identity()
        else:
            self.embed = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 3, stride=embed_stride, padding=1),
                ChannelLayerNorm(out_channels),
            )
        self.pre_norm = ChannelLayerNorm(out_channels)
        self.mlp = ShiftedMLP(out_channels, hidden_ratio=hidden_ratio, shift_groups=shift_groups)
        self.post_norm = ChannelLayerNorm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(x)
        tokens = tokens + self.mlp(self.pre_norm(tokens))
        return self.post_norm(tokens)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad (N, C, H, W) at the bottom/right by edge replication so H and W are multiples of ``multiple``.

    Returns the padded tensor and the original (H, W) to crop back to. Replication (not zeros) so the padded
    border does not look like a dark edge to the network.
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    return x, (height, width)


def check_input(x: torch.Tensor, in_channels: int) -> None:
    """Raise ValueError unless ``x`` is (N, in_channels, H, W) with H, W >= 1."""
    if x.ndim != 4 or x.shape[1] != in_channels:
        raise ValueError(f"Expected a tensor of shape (N, {in_channels}, H, W), got {tuple(x.shape)}.")
