"""Cases prepared for training exactly as inference will see them: resampled to the model's pixel spacing and
normalised with the model card's rule inside the breast (:mod:`calcification.core.inference.segmenter` does the same
at prediction time, so a network never meets an intensity scale it was not trained on)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import ndimage

from ..errors import InputError
from ..models.model_card import NormalisationSpec


@dataclass(frozen=True)
class TrainingCase:
    """One image ready for crop sampling.

    Attributes
    ----------
    case_id, patient_id : str
        Identifiers; folds are grouped by ``patient_id``.
    image : np.ndarray, float32, (rows, cols)
        Normalised intensities (about [0, 1]) at the model's spacing.
    mask : np.ndarray, uint8, (rows, cols)
        1 on calcification pixels.
    region : np.ndarray, bool, (rows, cols)
        Breast without pectoral muscle (where crops are taken and where validation is scored).
    hard_negatives : np.ndarray of bool, (rows, cols), optional
        Places known to hold no calcification that look like one to a detector (skin line, nipple, labels): a share
        of the empty crops is centred on them (:data:`~.crop_batches.HARD_NEGATIVE_SHARE`).
    """

    case_id: str
    patient_id: str
    image: np.ndarray
    mask: np.ndarray
    region: np.ndarray
    hard_negatives: Optional[np.ndarray] = None


def _zoom_to(array: np.ndarray, shape: tuple[int, int], order: int) -> np.ndarray:
    if array.shape == shape:
        return array
    factors = (shape[0] / array.shape[0], shape[1] / array.shape[1])
    out = ndimage.zoom(array, factors, order=order, mode="nearest", grid_mode=True)
    return np.pad(
        out[: shape[0], : shape[1]], [(0, max(0, s - o)) for s, o in zip(shape, out.shape, strict=True)], mode="edge"
    )


def prepare_training_case(
    case_id: str,
    patient_id: str,
    pixels: np.ndarray,
    spacing_mm: tuple[float, float],
    mask: np.ndarray,
    region: Optional[np.ndarray],
    model_spacing_mm: float,
    normalisation: Optional[NormalisationSpec] = None,
) -> TrainingCase:
    """Resample one annotated image to ``model_spacing_mm`` and normalise it inside ``region``.

    Parameters
    ----------
    pixels : np.ndarray, (rows, cols)
        Raw intensities, bright = dense.
    spacing_mm : (float, float)
        Pixel spacing (row, column) of ``pixels`` in mm.
    mask : np.ndarray, bool or {0, 1}, (rows, cols)
        Calcification pixels.
    region : np.ndarray of bool, (rows, cols), or None
        The breast; the whole image when None.
    model_spacing_mm : float
        Isotropic spacing the network works at (the model card's ``spacing_mm``).
    normalisation : NormalisationSpec, optional
        The model card's intensity rule (default percentiles when None).

    Raises
    ------
    InputError
        Shapes that disagree, or an empty region.
    """
    if mask.shape != pixels.shape or (region is not None and region.shape != pixels.shape):
        raise InputError(f"Case {case_id}: the mask or breast region does not have the image's shape {pixels.shape}.")
    region = np.ones(pixels.shape, bool) if region is None else region.astype(bool)
    if not region.any():
        raise InputError(f"Case {case_id}: the breast region is empty.")
    image = (normalisation or NormalisationSpec()).apply(pixels, region)
    shape = tuple(max(1, int(round(n * s / model_spacing_mm))) for n, s in zip(pixels.shape, spacing_mm, strict=True))
    return TrainingCase(
        case_id=str(case_id),
        patient_id=str(patient_id),
        image=_zoom_to(image.astype(np.float32), shape, order=1),
        mask=(_zoom_to(mask.astype(np.float32), shape, order=1) >= 0.5).astype(np.uint8),
        region=_zoom_to(region.astype(np.uint8), shape, order=0).astype(bool),
    )


def synthetic_training_cases(
    count: int, seed: int, shape: tuple[int, int], model_spacing_mm: float, normalisation: NormalisationSpec
) -> Iterable[TrainingCase]:
    """``count`` synthetic full-view cases (Terrassin et al. 2024 engine) with exact masks, each its own patient.

    Cases are drawn from the series ``seed`` (indices 0..count-1); keep training and test seeds apart. Crops are
    taken from full views, not interior crops, and the region is the product's own breast mask (not the engine's),
    so the intensity normalisation sees what it will see at inference.
    """
    from ..masking.breast_mask import compute_breast_mask
    from ..synthetic import SynthesisConfig, generate_case

    config = SynthesisConfig(shape=tuple(shape), spacing_mm=model_spacing_mm)
    for index in range(count):
        case = generate_case(config, seed=seed, index=index)
        mammogram = case.mammogram
        region = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view).analysable
        yield prepare_training_case(
            case.record.case_id,
            case.record.patient_id,
            mammogram.pixels,
            mammogram.spacing_mm,
            case.mask,
            region,
            model_spacing_mm,
            normalisation,
        )
