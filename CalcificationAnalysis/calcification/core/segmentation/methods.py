"""The segmentation methods the product offers, behind one call."""

from __future__ import annotations

import enum

from ..errors import InputError
from ..image import Mammogram
from ..progress import ProgressCallback
from .result import CalcificationSegmentation


class SegmentationMethod(str, enum.Enum):
    """How calcifications are found. ``HDOG``: Hessian-DoG blob detector (Marasinou et al. 2023), no model."""

    HDOG = "hdog"

    @classmethod
    def parse(cls, value: SegmentationMethod | str) -> SegmentationMethod:
        """The method named ``value`` (case-insensitive); InputError listing the choices otherwise."""
        try:
            return cls(str(getattr(value, "value", value)).lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise InputError(f"Unknown segmentation method {value!r}; choose one of: {choices}.") from None


def segment_mammogram(
    mammogram: Mammogram, method: SegmentationMethod | str = SegmentationMethod.HDOG, progress: ProgressCallback = None
) -> CalcificationSegmentation:
    """Segment the calcifications of ``mammogram`` with ``method``; see each method's module for details."""
    method = SegmentationMethod.parse(method)
    if method is SegmentationMethod.HDOG:
        from .hdog_method import segment_with_hdog

        return segment_with_hdog(mammogram, progress=progress)
    raise InputError(f"The segmentation method {method.value!r} is not available in this version.")
