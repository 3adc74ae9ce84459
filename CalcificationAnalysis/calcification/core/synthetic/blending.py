"""Blending synthetic calcifications into a real mammogram (Terrassin et al., SPIE Medical Imaging 2024).

A user's normal mammogram becomes a training case with exact ground truth: groups are planned exactly as for a
synthetic case and drawn with the same solids and system blur. The real image has no attenuation scale, so its
tissue range (5th to 95th percentile inside the breast) is taken as one unit of attenuation difference, about what
the fat-to-gland contrast of a 5 cm breast amounts to (0.034/mm x 50 mm x 60 % glandular range); calcium contrast
is scaled from there. Stored values are assumed to grow with attenuation (MONOCHROME2, as :class:`Mammogram` holds).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, Mammogram
from ..masking.breast_mask import compute_breast_mask
from ..progress import ProgressCallback, report_progress
from .background import ANATOMY_CELL_MM, PLACEMENT_MARGIN_MM, Background
from .case_generator import _case_rng, plan_case
from .cluster_placement import place_groups
from .config import CaseLabel, SynthesisConfig
from .records import CaseRecord, SyntheticCase
from .rendering import Canvas


def _background_from(pixels: np.ndarray, breast: np.ndarray, spacing_mm: float) -> Background:
    """Placement grid and nipple estimate of a real image, in the form the group placement expects."""
    factor = max(1, round(ANATOMY_CELL_MM / spacing_mm))
    low = breast[::factor, ::factor]
    inside_mm = ndimage.distance_transform_edt(np.pad(low, 1))[1:-1, 1:-1] * factor * spacing_mm
    placement = inside_mm > PLACEMENT_MARGIN_MM
    # the chest wall is the image side with more breast on it; the nipple is the breast pixel farthest from it
    rows, cols = np.nonzero(breast[::factor, ::factor])
    left = np.count_nonzero(low[:, 0]) >= np.count_nonzero(low[:, -1])
    tip = int(np.argmax(cols if left else -cols)) if cols.size else 0
    nipple = ((rows[tip] + 0.5) * factor, (cols[tip] + 0.5) * factor) if cols.size else (0.0, 0.0)
    return Background(pixels, breast, placement, np.zeros(low.shape, np.float32), factor, nipple, 0.0)


def blend_calcifications(
    background: Mammogram | np.ndarray,
    seed: int = 0,
    index: int = 0,
    config: SynthesisConfig | None = None,
    breast_mask: np.ndarray | None = None,
    progress: ProgressCallback = None,
) -> SyntheticCase:
    """Draw planned calcification groups into a real mammogram; the original pixels are not modified.

    Parameters
    ----------
    background : Mammogram or np.ndarray
        The real image (MONOCHROME2: calcium bright). A bare array is taken at ``DEFAULT_SPACING_MM``.
    seed, index : int
        Seed the per-case generator as in :func:`generate_case`.
    config : SynthesisConfig or None
        Groups per case, malignant fraction, class overlap and imaging blur; its shape and spacing are replaced by
        the background's.
    breast_mask : np.ndarray of bool or None
        Where calcifications may be drawn; found with the product's breast mask (pectoral muscle excluded) when None.
    progress : callable or None

    Returns
    -------
    SyntheticCase
        Pixels float32 with the calcifications added, mask, instance map, breast mask and record
        (``source`` = the background's name, density ``"unknown"``).

    Raises
    ------
    InputError
        Bad image or mask, anisotropic spacing, or a breast too small to hold a group.
    """
    mammogram = background if isinstance(background, Mammogram) else Mammogram(background, (DEFAULT_SPACING_MM,) * 2)
    spacing = mammogram.spacing_mm
    if abs(spacing[0] - spacing[1]) > 0.01 * spacing[0]:
        raise InputError(f"Blending needs square pixels, got {spacing[0]:g} x {spacing[1]:g} mm.")
    config = dataclasses.replace(
        config or SynthesisConfig(shape=(512, 512)), shape=mammogram.shape, spacing_mm=spacing[0], crop=False
    )
    rng = _case_rng(seed, index)
    if breast_mask is None:  # the product's breast mask, pectoral muscle excluded: no calcifications in the muscle
        breast_mask = compute_breast_mask(mammogram.pixels, spacing, mammogram.view).analysable
    breast = np.asarray(breast_mask, bool)
    if breast.shape != mammogram.shape:
        raise InputError(f"The breast mask has shape {breast.shape}, the image {mammogram.shape}.")
    report_progress(progress, 0.1, "Planning calcifications")
    pixels = mammogram.pixels.copy()
    scene = _background_from(pixels, breast, spacing[0])
    values = pixels[breast][::37]
    gain = float(np.percentile(values, 95) - np.percentile(values, 5)) if values.size else 1.0
    imaging = config.imaging
    contrast = gain * (imaging.mu_calcium_per_mm - 0.5 * (imaging.mu_fat_per_mm + imaging.mu_gland_per_mm))
    canvas = Canvas(
        pixels,
        np.zeros(mammogram.shape, np.int32),
        breast,
        lambda r, c: contrast,
        spacing[0],
        imaging.blur_sigma_mm / spacing[0],
    )
    label, plan = plan_case(config, rng)
    clusters, calcifications = place_groups(canvas, plan, scene, rng)
    report_progress(progress, 1.0, "Done")
    name = mammogram.name
    record = CaseRecord(
        f"{name}_blend{seed}-{index:05d}",
        name,
        int(seed),
        int(index),
        label if clusters else CaseLabel.NORMAL,
        "unknown",
        mammogram.view.value,
        mammogram.laterality.value,
        spacing[0],
        tuple(mammogram.shape),
        False,
        config.class_overlap,
        0.0,
        source=name,
        clusters=tuple(clusters),
        calcifications=tuple(calcifications),
    )
    out = dataclasses.replace(mammogram, pixels=pixels, metadata={**mammogram.metadata, "synthetic_blend": True})
    return SyntheticCase(out, canvas.instances > 0, canvas.instances, breast, record)
