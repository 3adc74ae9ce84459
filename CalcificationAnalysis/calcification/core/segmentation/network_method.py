"""Calcification segmentation with a trained network ensemble (Pro_UNeXt of Tong et al., Front. Oncol. 2024, or any
model the model store can load): the product's breast mask (pectoral muscle excluded) is the search region, then
tiled, fold-averaged inference (:mod:`calcification.core.inference.segmenter`)."""

from __future__ import annotations

from pathlib import Path
from typing import Union

from ..image import Mammogram
from ..masking.breast_mask import compute_breast_mask
from ..progress import ProgressCallback, report_progress, sub_progress
from .result import CalcificationSegmentation
from .segmenter_choice import SegmenterChoice

#: The model used when none is named: shipped inside the package (``calcification/models/<name>``).
DEFAULT_MODEL_NAME = "pro_unext_synthetic"


def default_model_name() -> str:
    """The model used when none is named: the one the user made the default
    (:func:`~calcification.core.models.preferred_model.set_preferred_model`; a setting whose model is gone is
    ignored), else :data:`DEFAULT_MODEL_NAME`."""
    from ..models.preferred_model import preferred_model

    return preferred_model() or DEFAULT_MODEL_NAME


_LOADED: dict = {}  # (folder, card text) -> LoadedModel: a batch of images loads and verifies the weights once


def load_model_cached(source: Union[str, Path, None] = None):
    """The verified :class:`LoadedModel` for ``source`` (name, folder or card path), loaded once per process and
    reloaded when its card changes on disk; :func:`default_model_name` when ``source`` is None. Its networks are
    built on first use (weights' checksums are checked here)."""
    from ..models.model_card import CARD_FILE_NAME
    from ..models.model_store import load_model, resolve_model_folder

    folder = resolve_model_folder(source if source is not None else default_model_name())
    key = (str(folder.resolve()), (folder / CARD_FILE_NAME).read_bytes())  # bytes: read_card says what is wrong
    if key not in _LOADED:
        _LOADED.clear()  # keep one model in memory: switching models should not pile up ensembles
        _LOADED[key] = load_model(folder, load_networks=False)  # PyTorch only if no exported graph is ready
    return _LOADED[key]


def segment_with_network(
    mammogram: Mammogram, choice: SegmenterChoice, progress: ProgressCallback = None
) -> CalcificationSegmentation:
    """Segment calcifications of ``mammogram`` with a model ensemble.

    Parameters
    ----------
    mammogram : Mammogram
    choice : SegmenterChoice
        ``model``: name (see ``calcification models``), folder or card path, the preferred or shipped one when None;
        ``threshold``, ``min_object_area_mm2`` (the model card's when None) and ``device``.
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels (:class:`CancelledError`).

    Returns
    -------
    CalcificationSegmentation
        ``objects`` are :class:`DetectedObject` records (area, centroid, mean probability, fold spread);
        ``details`` holds ``probability`` and ``fold_std`` (float32 maps of the image's shape), ``model_name``,
        ``synthetic_training``, ``threshold`` and ``min_object_area_mm2``.

    Raises
    ------
    InputError
        Unknown or damaged model, bad options, or a GPU requested but missing.
    """
    from ..inference.segmenter import segment_with_model

    report_progress(progress, 0.0, "Loading the model")
    loaded = load_model_cached(choice.model)
    report_progress(progress, 0.05, "Finding the breast")
    breast = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
    stage = sub_progress(progress, 0.15, 1.0)
    options = choice.inference_options()
    result = segment_with_model(mammogram.pixels, mammogram.spacing_mm, loaded, breast.analysable, options, stage)
    return CalcificationSegmentation(
        labels=result.labels,
        breast=breast.analysable,
        spacing_mm=mammogram.spacing_mm,
        method=choice.method,
        objects=result.objects,
        details={
            "probability": result.probability,
            "fold_std": result.fold_std,
            "model_name": result.model_name,
            "synthetic_training": result.synthetic_training,
            "threshold": result.threshold,
            "min_object_area_mm2": result.min_object_area_mm2,
            "chest_wall_side": breast.chest_wall_side,
        },
    )
