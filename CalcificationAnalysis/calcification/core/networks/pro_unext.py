"""Pro_UNeXt (Tong et al., "Pro_UNeXt", Front. Oncol. 2024): calcification segmentation network.

Architecture as the paper describes it
--------------------------------------
Encoder: a micro-calcification block (3x3 conv, BN, ReLU, stride 1, no downsampling); four fused-MBConv blocks
(EfficientNetV2, each halving the resolution); two tokenized-MLP blocks (UNeXt, overlapping patch embedding at
stride 2). Decoder: two tokenized-MLP blocks, then four conv blocks, with learnable transposed-conv upsampling and a
skip connection at every resolution; one logit channel. Encoder widths 64, 64, 128, 256, 512, 1024, 2048.

What the paper leaves open, and the reading chosen here
-------------------------------------------------------
- Layer order inside fused-MBConv: EfficientNetV2's (3x3 expand conv + BN + SiLU -> SE -> 1x1 projection + BN,
  residual only when stride is 1 and channels match, so never in the four downsampling blocks themselves;
  ``mbconv_depth > 1`` adds stride-1 residual repeats per stage).
- Expansion ratio: not given; ``expansion=4`` (EfficientNetV2's usual fused-MBConv ratio) for the paper
  configuration; the CPU variant uses 2. SE width 0.25 of the block's input channels (EfficientNet).
- Shifted MLP: UNeXt's reference (5 channel groups shifted by -2..2 pixels, hidden ratio 1, depthwise 3x3 conv,
  GELU), zero-filled shifts; layer norm before the MLP (pre-norm residual) and after the block, as in UNeXt.
- Total stride: 1 x 2^4 (fused-MBConv) x 2^2 (tokenized) = 64; inputs are padded by edge replication to a multiple
  of 64 and the logits cropped back, so any H, W works.
- Decoder: six upsampling steps (1/64 -> 1/32 -> ... -> 1), each a 2x2 transposed conv at stride 2 mapping to the
  skip's width. Skip fusion by addition (as in UNeXt; cheaper than concatenation at full resolution), followed by
  the stage block: tokenized-MLP blocks (no patch embedding) at 1/32 and 1/16, then conv blocks (3x3 conv, BN,
  ReLU; one conv per block as in UNeXt's decoder) at 1/8, 1/4, 1/2 and full resolution. The paper says "four conv
  blocks" after two tokenized ones, which with a skip at every one of the seven resolutions gives six decoder
  stages: 2 tokenized + 4 conv. A 1x1 conv gives the logit.
- Width multiplier scales every width (rounded, at least 4 channels) so CPU-friendly variants share the code.

Input (N, 1, H, W) float32 normalised intensities; output (N, 1, H, W) float32 logits.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import FusedMBConv, MicroCalcificationBlock, TokenizedMLPBlock, check_input, conv_bn_act, pad_to_multiple

#: Encoder widths of the paper: micro-calcification block, four fused-MBConv blocks, two tokenized-MLP blocks.
PAPER_WIDTHS = (64, 64, 128, 256, 512, 1024, 2048)


def scaled_widths(widths: tuple[int, ...], multiplier: float, minimum: int = 4) -> tuple[int, ...]:
    """``widths`` times ``multiplier``, rounded, at least ``minimum`` each."""
    return tuple(max(minimum, int(round(w * multiplier))) for w in widths)


class ProUNeXt(nn.Module):
    """Pro_UNeXt of Tong et al. 2024; see the module docstring for the reading of unspecified details.

    Parameters
    ----------
    in_channels : int
        Image channels (1 for a mammogram).
    width_multiplier : float
        Scales :data:`PAPER_WIDTHS` (1.0 = paper; 0.125 = the CPU default).
    expansion : float
        Fused-MBConv expansion ratio.
    widths : tuple of 7 ints, optional
        Explicit encoder widths (overrides the multiplier).
    mbconv_depth : int
        Fused-MBConv blocks per stage (the first downsamples; the rest are stride-1 residual repeats).
    se_ratio : float
        Squeeze-and-excitation width as a fraction of each fused-MBConv's input channels.
    """

    total_stride = 64

    def __init__(
        self,
        in_channels: int = 1,
        width_multiplier: float = 1.0,
        expansion: float = 4.0,
        widths: tuple[int, ...] | None = None,
        mbconv_depth: int = 1,
        se_ratio: float = 0.25,
    ):
        super().__init__()
        widths = tuple(widths) if widths is not None else scaled_widths(PAPER_WIDTHS, width_multiplier)
        if len(widths) != 7:
            raise ValueError(f"Pro_UNeXt needs 7 encoder widths, got {widths}.")
        self.in_channels = in_channels
        self.widths = widths
        self.stem = MicroCalcificationBlock(in_channels, widths[0])
        self.mbconv = nn.ModuleList(
            self._mbconv_stage(widths[i], widths[i + 1], expansion, mbconv_depth, se_ratio) for i in range(4)
        )
        self.tokenized = nn.ModuleList(TokenizedMLPBlock(widths[i], widths[i + 1], embed_stride=2) for i in (4, 5))
        # Decoder stage k brings resolution level 6-k up to level 5-k (level 0 = full resolution).
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(5, -1, -1)
        )
        decoder_blocks = [TokenizedMLPBlock(widths[i], widths[i], embed_stride=None) for i in (5, 4)]
        decoder_blocks += [conv_bn_act(widths[i], widths[i]) for i in (3, 2, 1, 0)]
        self.decoder = nn.ModuleList(decoder_blocks)
        self.head = nn.Conv2d(widths[0], 1, 1)

    @staticmethod
    def _mbconv_stage(in_ch: int, out_ch: int, expansion: float, depth: int, se_ratio: float) -> nn.Sequential:
        blocks = [FusedMBConv(in_ch, out_ch, stride=2, expansion=expansion, se_ratio=se_ratio)]
        blocks += [
            FusedMBConv(out_ch, out_ch, stride=1, expansion=expansion, se_ratio=se_ratio) for _ in range(depth - 1)
        ]
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) float32 -> (N, 1, H, W) float32 logits."""
        check_input(x, self.in_channels)
        x, (height, width) = pad_to_multiple(x, self.total_stride)
        skips = [self.stem(x)]
        for stage in list(self.mbconv) + list(self.tokenized):
            skips.append(stage(skips[-1]))
        out = skips.pop()
        for upsample, block in zip(self.upsample, self.decoder, strict=True):
            out = block(upsample(out) + skips.pop())
        return self.head(out)[..., :height, :width]
