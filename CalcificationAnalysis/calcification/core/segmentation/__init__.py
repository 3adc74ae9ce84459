"""Whole-mammogram calcification segmentation: one entry point, :func:`segment_mammogram`, for every method; one
typed choice of method and settings, :class:`SegmenterChoice`; one registry of methods (:mod:`.registry`)."""

from .methods import segment_mammogram
from .registry import DEFAULT_METHOD, MethodSpec, ModelKind, available_methods, method_spec, register_method
from .result import CalcificationSegmentation
from .segmenter_choice import SegmenterChoice

__all__ = [
    "DEFAULT_METHOD",
    "CalcificationSegmentation",
    "MethodSpec",
    "ModelKind",
    "SegmenterChoice",
    "available_methods",
    "method_spec",
    "register_method",
    "segment_mammogram",
]
