"""Prior and current close-ups of a cluster side by side, at one magnification and in one orientation.

The current close-up is a square field of ``field_mm`` around the cluster, sampled at ``size_px`` pixels; the prior
close-up samples the prior image at the same points mapped through the registration, so both show the same tissue
at the same scale even when the exams differ in pixel size, positioning or compression. Each is windowed on its own
(the exposures differ) and framed in the status colour.
"""

from __future__ import annotations

import numpy as np

from ..rendering.overlay import window_to_uint8
from .matching import ClusterChange

#: Side of the close-up field, mm (a cluster of the product's rule spans 2-10 mm).
FIELD_MM = 14.0
#: Side of each close-up picture, px (about 17 px per mm: calcifications of 0.2 mm are 3-4 px).
SIZE_PX = 240


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _sample(pixels: np.ndarray, spacing_mm, centre_xy_mm, transform, field_mm: float, size_px: int) -> np.ndarray:
    """``size_px`` square samples of ``pixels`` over ``field_mm`` around ``centre_xy_mm`` (through ``transform``)."""
    import SimpleITK as sitk

    from .registration import to_sitk_image

    step = field_mm / size_px
    origin = tuple(float(c) - field_mm / 2.0 + step / 2.0 for c in centre_xy_mm)
    image = to_sitk_image(pixels, spacing_mm)
    mapping = transform if transform is not None else sitk.Transform(2, sitk.sitkIdentity)
    out = sitk.Resample(image, (size_px, size_px), mapping, sitk.sitkLinear, origin, (step, step), (1, 0, 0, 1), np.nan)
    return sitk.GetArrayFromImage(out)


def _frame(grey: np.ndarray, colour: str, width: int = 4) -> np.ndarray:
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    rgb[:width], rgb[-width:], rgb[:, :width], rgb[:, -width:] = (_hex_rgb(colour),) * 4
    return rgb


def _picture(samples: np.ndarray, colour: str) -> np.ndarray:
    valid = np.isfinite(samples)
    grey = np.zeros(samples.shape, np.uint8)
    if valid.any():
        grey = window_to_uint8(np.where(valid, samples, np.nanmin(samples[valid])), valid)
    return _frame(grey, colour)


def paired_close_ups(
    change: ClusterChange,
    current_pixels: np.ndarray,
    current_spacing_mm,
    prior_pixels: np.ndarray,
    prior_spacing_mm,
    registration,
    field_mm: float = FIELD_MM,
    size_px: int = SIZE_PX,
) -> tuple[np.ndarray, np.ndarray]:
    """(prior, current) RGB uint8 (size_px, size_px, 3) close-ups of one cluster, framed in its status colour."""
    centre = change.current_centre_xy_mm
    current = _sample(current_pixels, current_spacing_mm, centre, None, field_mm, size_px)
    prior = _sample(prior_pixels, prior_spacing_mm, centre, registration.transform, field_mm, size_px)
    colour = change.status.colour
    return _picture(prior, colour), _picture(current, colour)
