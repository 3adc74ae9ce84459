"""Training cases made from real mammograms with no calcification (issue 33): each normal as recorded, with
calibrated synthetic calcifications inserted as its own acquisition would have recorded them
(:func:`~..synthetic.acquisition_blending.blend_at_acquisition`, contrast drawn per calcification from the real
distribution), resampled and normalised exactly as ``segment`` will see it
(:func:`.training_cases.prepare_training_case`).

Each case carries its hard negatives: the skin line (a band :data:`SKIN_BAND_MM` either side of the breast
outline, where processed digital images have a bright edge and where the synthetic-only network fired) and bright
marks outside the breast (film labels and markers). A share of the empty crops is centred on them
(:mod:`.crop_batches`). Images are cut to the breast's bounding box (plus :data:`MARGIN_MM`) so a hundred normals
fit in memory at 0.07 mm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

import numpy as np
from scipy import ndimage

from ..models.model_card import NormalisationSpec
from .training_cases import TrainingCase, _zoom_to, prepare_training_case

#: Half-width (mm) of the skin-line band taught as a hard negative.
SKIN_BAND_MM = 1.5
#: Margin (mm) kept around the breast's bounding box.
MARGIN_MM = 4.0


def hard_negative_map(pixels: np.ndarray, breast: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Bool map of the skin-line band and of bright marks outside the breast (labels), on the input grid."""
    band = max(1, int(round(SKIN_BAND_MM / spacing_mm)))
    skin = ndimage.binary_dilation(breast, iterations=band) & ~ndimage.binary_erosion(breast, iterations=band)
    inside = pixels[breast][::7]
    if inside.size == 0:
        return skin
    labels = ~ndimage.binary_dilation(breast, iterations=2 * band) & (pixels > np.percentile(inside, 75))
    return skin | ndimage.binary_opening(labels, iterations=1)


def _bounding_box(breast: np.ndarray, margin_px: int) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(breast.any(1)), np.flatnonzero(breast.any(0))
    if rows.size == 0:
        return slice(None), slice(None)
    return (
        slice(max(0, rows[0] - margin_px), rows[-1] + margin_px + 1),
        slice(max(0, cols[0] - margin_px), cols[-1] + margin_px + 1),
    )


def real_background_cases(
    paths: Sequence[Path],
    spacing_mm: Optional[float],
    blends: int,
    seed: int,
    model_spacing_mm: float,
    normalisation: Optional[NormalisationSpec] = None,
) -> Iterable[TrainingCase]:
    """Training cases from real normal mammograms: for each, ``blends`` versions with calibrated calcifications
    inserted (or the normal itself, nothing to find, when ``blends`` is 0).

    Parameters
    ----------
    paths : sequence of paths
        Mammograms with no calcification (any format ``read_mammogram`` reads); each is its own patient.
    spacing_mm : float or None
        Their pixel spacing (mm) when the files do not carry it (PGM, PNG, DDSM).
    blends : int
        Insertions per normal (different seeds); 0 keeps the normal as a pure negative.
    seed : int
        Series of the insertions (case ``i`` of normal ``n`` uses index ``n * max(blends, 1) + i``).
    model_spacing_mm, normalisation
        As :func:`.training_cases.prepare_training_case`.
    """
    from ..io import read_mammogram
    from ..masking.breast_mask import compute_breast_mask
    from ..synthetic import SynthesisConfig
    from ..synthetic.acquisition_blending import blend_at_acquisition

    config = SynthesisConfig(clusters_per_case=(1, 3))
    for number, path in enumerate(paths):
        normal = read_mammogram(path, spacing_mm=None if spacing_mm is None else (spacing_mm, spacing_mm))
        spacing = normal.spacing_mm
        breast = compute_breast_mask(normal.pixels, spacing, normal.view).analysable
        box = _bounding_box(breast, int(round(MARGIN_MM / spacing[0])))
        for copy in range(max(blends, 1)):
            if blends:
                index = number * blends + copy
                case = blend_at_acquisition(normal, seed=seed, index=index, config=config, breast_mask=breast)
                pixels, mask = case.mammogram.pixels, case.mask
            else:
                pixels, mask = normal.pixels.astype(np.float32), np.zeros(normal.shape, bool)
            prepared = prepare_training_case(
                f"{Path(path).stem}_real{copy}",
                Path(path).stem,
                pixels[box],
                spacing,
                mask[box],
                breast[box],
                model_spacing_mm,
                normalisation,
            )
            hard = hard_negative_map(normal.pixels[box].astype(np.float32), breast[box], spacing[0])
            hard = _zoom_to(hard.astype(np.uint8), prepared.image.shape, order=0).astype(bool)
            yield TrainingCase(
                prepared.case_id, prepared.patient_id, prepared.image, prepared.mask, prepared.region, hard
            )
