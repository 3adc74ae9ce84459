"""Whole-mammogram calcification segmentation: one entry point, :func:`segment_mammogram`, for every method."""

from .methods import DEFAULT_METHOD, SegmentationMethod, segment_mammogram
from .result import CalcificationSegmentation

__all__ = ["DEFAULT_METHOD", "CalcificationSegmentation", "SegmentationMethod", "segment_mammogram"]
