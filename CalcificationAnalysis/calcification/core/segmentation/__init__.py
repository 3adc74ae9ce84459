"""Whole-mammogram calcification segmentation: one entry point, :func:`segment_mammogram`, for every method."""

from .methods import SegmentationMethod, segment_mammogram
from .result import CalcificationSegmentation

__all__ = ["CalcificationSegmentation", "SegmentationMethod", "segment_mammogram"]
