"""Whole-mammogram segmentation with a trained model ensemble (Pro_UNeXt of Tong et al. 2024, or any network the
model store can load).

Pipeline: normalise intensities as the model card says (percentiles inside the breast) -> resample to the model's
pixel spacing -> tiled, blended prediction of every fold network (probabilities averaged over folds, as the paper
stitches five; the per-pixel standard deviation across folds is computed per tile, then blended) -> resample back
-> threshold -> drop objects smaller than the minimum area in mm² -> per-object mean probability and fold spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import ndimage

from ..compute_device import resolve_device, resolve_device_name  # noqa: F401 - resolve_device: re-exported
from ..cpu_threads import limited_threads
from ..errors import InputError
from ..image import validate_pixels, validate_spacing_mm
from ..models.model_store import LoadedModel
from ..progress import ProgressCallback, report_progress, sub_progress
from .engines import InferenceEngine, ensemble_predictor
from .tiling import TilingConfig, predict_tiled


@dataclass(frozen=True)
class SegmenterOptions:
    """Inference settings; ``None`` takes the model card's value.

    Attributes
    ----------
    threshold : float, optional
        Probability threshold in (0, 1).
    min_object_area_mm2 : float, optional
        Objects smaller than this are dropped.
    tiling : TilingConfig
    device : str
        ``"cpu"`` (default) or ``"cuda"`` / ``"cuda:<k>"``.
    engine : InferenceEngine
        Which engine predicts the tiles (see :mod:`.engines`); AUTO takes the fastest verified one.
    """

    threshold: Optional[float] = None
    min_object_area_mm2: Optional[float] = None
    tiling: TilingConfig = TilingConfig()
    device: str = "cpu"
    engine: InferenceEngine = InferenceEngine.AUTO


@dataclass(frozen=True)
class DetectedObject:
    """One detected calcification: ``label`` in the label image, area (mm²), centroid (row, col pixels), mean fold-
    averaged probability over its pixels, and ``fold_spread``: mean over its pixels of the across-fold standard
    deviation of the probability (0 for a single model; larger = the folds disagree)."""

    label: int
    area_mm2: float
    centroid_rc: tuple[float, float]
    mean_probability: float
    fold_spread: float


@dataclass(frozen=True)
class NetworkSegmentation:
    """Result of :func:`segment_with_model`, all arrays of the input image's shape (rows, cols).

    Attributes
    ----------
    probability : float32, fold-averaged calcification probability in [0, 1] (0 outside predicted tiles).
    fold_std : float32, per-pixel standard deviation of the probability across fold models.
    labels : int32, 0 background, 1..n one kept object each (thresholded, restricted to the region, small ones
        dropped).
    objects : tuple of DetectedObject, in label order.
    spacing_mm, threshold, min_object_area_mm2 : the values used.
    model_name : str; synthetic_training : bool, from the model card (the UI must say so when True).
    """

    probability: np.ndarray
    fold_std: np.ndarray
    labels: np.ndarray
    objects: tuple[DetectedObject, ...]
    spacing_mm: tuple[float, float]
    threshold: float
    min_object_area_mm2: float
    model_name: str
    synthetic_training: bool

    @property
    def mask(self) -> np.ndarray:
        """bool (rows, cols): True on kept calcification pixels."""
        return self.labels > 0


def _resample(array: np.ndarray, shape: tuple[int, int], order: int) -> np.ndarray:
    """``array`` zoomed to exactly ``shape`` (pixel-edge aligned grid); identity when the shape already matches."""
    if array.shape == tuple(shape):
        return array
    factors = (shape[0] / array.shape[0], shape[1] / array.shape[1])
    out = ndimage.zoom(array, factors, order=order, mode="nearest", grid_mode=True)
    if out.shape != tuple(shape):  # zoom rounds the output shape; trim or edge-pad the odd pixel
        out = np.pad(
            out[: shape[0], : shape[1]],
            [(0, max(0, s - o)) for s, o in zip(shape, out.shape, strict=True)],
            mode="edge",
        )
    return out


def _objects(labels: np.ndarray, probability: np.ndarray, fold_std: np.ndarray, pixel_area_mm2: float):
    """Per-object records for labels 1..n, from the labelled pixels only (no image-sized temporaries)."""
    count = int(labels.max())
    if count == 0:
        return ()
    where = np.flatnonzero(labels)
    ids = labels.ravel()[where]
    rows, cols = np.divmod(where, labels.shape[1])

    def per_object(weights=None):
        return np.bincount(ids, weights=weights, minlength=count + 1)[1:]

    pixels = per_object()
    sums = [per_object(w) for w in (rows, cols, probability.ravel()[where], fold_std.ravel()[where])]
    row_c, col_c, mean_p, spread = (s / pixels for s in sums)
    return tuple(
        DetectedObject(
            k + 1,
            float(pixels[k] * pixel_area_mm2),
            (float(row_c[k]), float(col_c[k])),
            float(mean_p[k]),
            float(spread[k]),
        )
        for k in range(count)
    )


def label_objects(mask: np.ndarray, min_pixels: float) -> np.ndarray:
    """8-connected labels of ``mask`` without objects of fewer than ``min_pixels`` pixels, renumbered 1..n."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count == 0:
        return labels.astype(np.int32)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_pixels
    keep[0] = False
    new_ids = np.zeros(count + 1, np.int32)
    new_ids[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return new_ids[labels]


#: Longest side, in mm, an image may have before its spacing is taken to be wrong. Mammography detectors and films
#: are at most about 24 x 30 cm; a wrong spacing (Slicer gives 1 mm to a DICOM file without one) would otherwise be
#: resampled to the model's 0.07 mm into an image of billions of pixels.
MAX_IMAGE_SIDE_MM = 400.0


def _check_extent(shape: tuple[int, int], spacing_mm: tuple[float, float]) -> None:
    rows_mm, cols_mm = (n * s for n, s in zip(shape, spacing_mm, strict=True))
    if max(rows_mm, cols_mm) > MAX_IMAGE_SIDE_MM:
        raise InputError(
            f"At {spacing_mm[0]:g} x {spacing_mm[1]:g} mm per pixel this {shape[0]} x {shape[1]} image would be "
            f"{rows_mm:.0f} x {cols_mm:.0f} mm, larger than any mammogram (at most about 240 x 300 mm): its pixel "
            "spacing is probably wrong (Slicer gives 1 mm to a DICOM file that has none). Set the real spacing (in "
            "Slicer: Volumes module, Volume Information; on the command line: --spacing MM) and run again."
        )


def _check_options(options: SegmenterOptions, card) -> tuple[float, float]:
    threshold = card.threshold if options.threshold is None else float(options.threshold)
    min_area = card.min_object_area_mm2 if options.min_object_area_mm2 is None else float(options.min_object_area_mm2)
    if not 0.0 < threshold < 1.0:
        raise InputError(f"The probability threshold must be between 0 and 1, got {threshold:g}.")
    if not min_area >= 0.0:
        raise InputError(f"The minimum calcification area must be 0 mm² or more, got {min_area:g}.")
    return threshold, min_area


def segment_with_model(
    pixels: np.ndarray,
    spacing_mm: tuple[float, float],
    model: LoadedModel,
    region: Optional[np.ndarray] = None,
    options: SegmenterOptions = SegmenterOptions(),
    progress: ProgressCallback = None,
) -> NetworkSegmentation:
    """Segment calcifications on one mammogram with a loaded model ensemble.

    Parameters
    ----------
    pixels : np.ndarray, shape (rows, cols)
        Raw intensities, bright = dense (MONOCHROME2).
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm.
    model : LoadedModel
        From :func:`calcification.core.models.model_store.load_model`.
    region : np.ndarray of bool, shape (rows, cols), optional
        Where to look (the breast without pectoral muscle): it sets the normalisation percentiles, the tiles that are
        predicted and where objects may be; the whole image when None.
    options : SegmenterOptions
    progress : callable, optional
        ``progress(fraction, message) -> bool``, called between tile batches; False raises :class:`CancelledError`.

    Raises
    ------
    InputError
        Bad pixels, spacing (including one that makes the image larger than any mammogram), region shape, options,
        or an unavailable device.
    """
    pixels = validate_pixels(pixels)
    spacing_mm = validate_spacing_mm(spacing_mm)
    if region is not None and (region.shape != pixels.shape or not region.any()):
        raise InputError(f"The search region must be a non-empty mask of the image's shape {pixels.shape}.")
    _check_extent(pixels.shape, spacing_mm)
    threshold, min_area = _check_options(options, model.card)
    device = resolve_device_name(options.device)  # PyTorch is imported only if the run needs it
    report_progress(progress, 0.0, "Preparing the image")
    image = model.card.normalisation.apply(pixels, region)
    work_shape = tuple(
        max(1, int(round(n * s / model.card.spacing_mm))) for n, s in zip(pixels.shape, spacing_mm, strict=True)
    )
    image = _resample(image, work_shape, order=1)
    work_region = None if region is None else _resample(region.astype(np.uint8), work_shape, order=0).astype(bool)
    predictor = ensemble_predictor(model, device, options.engine)
    with limited_threads():
        try:
            maps = predict_tiled(image, predictor, 2, options.tiling, work_region, sub_progress(progress, 0.02, 0.95))
        finally:
            predictor.release_memory()
    del image
    probability = np.clip(_resample(maps[0], pixels.shape, order=1), 0.0, 1.0)
    fold_std = np.maximum(_resample(maps[1], pixels.shape, order=1), 0.0)
    del maps
    pixel_area = spacing_mm[0] * spacing_mm[1]
    mask = probability >= threshold
    if region is not None:
        mask &= region
    labels = label_objects(mask, min_area / pixel_area)
    report_progress(progress, 1.0, "Done")
    return NetworkSegmentation(
        probability=probability.astype(np.float32, copy=False),
        fold_std=fold_std.astype(np.float32, copy=False),
        labels=labels,
        objects=_objects(labels, probability, fold_std, pixel_area),
        spacing_mm=spacing_mm,
        threshold=threshold,
        min_object_area_mm2=min_area,
        model_name=model.card.name,
        synthetic_training=model.card.synthetic_training,
    )
