"""Every segmentation method behind one call, :func:`segment_mammogram`."""

from __future__ import annotations

from typing import Union

from ..image import Mammogram
from ..progress import ProgressCallback
from .registry import MethodSpec
from .result import CalcificationSegmentation
from .segmenter_choice import SegmenterChoice


def segment_mammogram(
    mammogram: Mammogram,
    segmenter: Union[SegmenterChoice, MethodSpec, str, None] = None,
    progress: ProgressCallback = None,
    boundary_rule: bool = True,
) -> CalcificationSegmentation:
    """Segment the calcifications of ``mammogram`` with ``segmenter``; see each method's module for details.

    ``segmenter`` is a :class:`SegmenterChoice` (method, model, threshold, device), or a method name with its default
    settings, or None for the default method. Whatever the method, vascular calcifications are then moved out of
    ``labels`` into ``vascular_labels`` (:func:`split_vascular`), and objects at the breast outline that do not look
    like calcifications, or strung along it, are dropped (:func:`~.boundary_rule.apply_boundary_rule`;
    ``boundary_rule=False`` keeps them, for measuring what the rule does).
    """
    from .boundary_rule import apply_boundary_rule  # here, not at the top: `calcification --help` stays light
    from .vascular_split import split_vascular

    choice = SegmenterChoice.of(segmenter)
    result = choice.spec.segment_function()(mammogram, choice, progress)
    result = split_vascular(result, mammogram)
    return apply_boundary_rule(result, mammogram.pixels) if boundary_rule else result
