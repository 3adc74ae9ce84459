"""The segmentation methods the product offers, behind one call."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Union

from ..errors import InputError
from ..image import Mammogram
from ..progress import ProgressCallback
from .result import CalcificationSegmentation


class SegmentationMethod(str, enum.Enum):
    """How calcifications are found. ``HDOG``: Hessian-DoG blob detector (Marasinou et al. 2023), no model.
    ``PROUNEXT``: a trained network ensemble (Pro_UNeXt, Tong et al. 2024; the shipped model by default).
    ``HDOG_FILTERED``: Hessian-DoG candidates judged by a learned false-positive filter (Marasinou et al. 2023's
    second stage; the shipped filter by default), trained on real normal mammograms."""

    HDOG = "hdog"
    PROUNEXT = "prounext"
    HDOG_FILTERED = "hdog_filtered"

    @property
    def takes_model(self) -> bool:
        """True for methods with a trained part (a model or filter name, and a probability threshold)."""
        return self is not SegmentationMethod.HDOG

    @property
    def takes_device(self) -> bool:
        """True for methods that can run on a GPU."""
        return self is SegmentationMethod.PROUNEXT

    @classmethod
    def parse(cls, value: SegmentationMethod | str) -> SegmentationMethod:
        """The method named ``value`` (case-insensitive); InputError listing the choices otherwise."""
        try:
            return cls(str(getattr(value, "value", value)).lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise InputError(f"Unknown segmentation method {value!r}; choose one of: {choices}.") from None


#: The method used wherever none is named: the panel, ``segment``, ``analyze``, ``evaluate-segmenter`` and the
#: logic calls behind them. Chosen on real images (models README, "Choosing the default").
DEFAULT_METHOD = SegmentationMethod.PROUNEXT


def segment_mammogram(
    mammogram: Mammogram,
    method: SegmentationMethod | str = SegmentationMethod.HDOG,
    progress: ProgressCallback = None,
    model: Union[str, Path, None] = None,
    options=None,
) -> CalcificationSegmentation:
    """Segment the calcifications of ``mammogram`` with ``method``; see each method's module for details.

    ``model`` (a model name, folder or card path; for ``hdog_filtered`` a filter name or folder) and ``options``
    (:class:`SegmenterOptions`: threshold, minimum area, device; ``hdog_filtered`` reads the threshold only) apply to
    trained methods only; giving them with ``hdog`` is an InputError rather than ignored. Whatever the method,
    vascular calcifications are then moved out of ``labels`` into ``vascular_labels`` (:func:`split_vascular`).
    """
    from .vascular_split import split_vascular  # here, not at the top: `calcification --help` stays light

    method = SegmentationMethod.parse(method)
    return split_vascular(_segment_with(mammogram, method, progress, model, options), mammogram)


def _segment_with(mammogram, method: SegmentationMethod, progress, model, options) -> CalcificationSegmentation:
    if method is SegmentationMethod.HDOG:
        if model is not None or options is not None:
            raise InputError("The Hessian-DoG method uses no model; choose the 'prounext' method to use one.")
        from .hdog_method import segment_with_hdog

        return segment_with_hdog(mammogram, progress=progress)
    if method is SegmentationMethod.HDOG_FILTERED:
        from .candidate_method import segment_with_candidates

        return segment_with_candidates(mammogram, model=model, options=options, progress=progress)
    from .network_method import segment_with_network

    return segment_with_network(mammogram, model=model, options=options, progress=progress)
