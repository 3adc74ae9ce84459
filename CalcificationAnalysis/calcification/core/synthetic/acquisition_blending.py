"""Synthetic calcifications inserted into a real mammogram as that image's acquisition would have recorded them
(Terrassin et al., SPIE Medical Imaging 2024, made physical for training a detector on real backgrounds).

:func:`~.blending.blend_calcifications` draws at the image's own pixel size with the digital system's blur, so on
a 0.2 mm film a 0.3 mm calcification becomes one or two full-contrast pixels: brighter and sharper than real ones.
Here, per case:

1. **Fine sampling.** Calcifications are drawn on a grid ``k`` times finer than the image (at most
   :data:`FINE_SPACING_MM`), where their path length through calcium is well resolved.
2. **Log-intensity domain.** Film optical density and the stored values of processed ("for presentation")
   digital images both grow with the log of attenuation, so the calcium's extra attenuation (path length times
   mu_calcium minus the tissue it displaces) is *added* to the stored values, scaled by the image's tissue range
   (5th-95th percentile inside the breast = one unit of attenuation difference, as in ``blend_calcifications``).
3. **Contrast scaled to the local tissue.** Both the film's characteristic curve (its shoulder) and presentation
   processing compress contrast in dense regions: the added signal is multiplied by ``1 - DENSE_COMPRESSION *
   t`` with ``t`` the local tissue level (0 fat .. 1 densest) measured 1 mm around.
5. **Contrast per calcification from the real distribution** (issue 33). Real calcifications are porous and
   partly calcified, and their recorded contrast is far below pure calcium's: each inserted calcification's signal
   is multiplied by its own effective-attenuation scale, drawn from a log-normal (:class:`ContrastDistribution`)
   fitted so that the inserted calcifications' peak contrast on 0.2 mm film matches the measured contrast of real
   calcifications on the mini-MIAS development clusters (same measurement on both,
   :mod:`.appearance`; fit and Kolmogorov-Smirnov distances: ``compare_blended_and_real_calcifications.py``).
   The scale is physical (per mm of calcium path), so the same draw gives a finer-pixel image its higher peaks.
4. **Acquisition blur of the target pixel size.** The fine drawing is blurred by the screen-film or detector
   unsharpness (``blur_mm``), then averaged over each image pixel (the pixel aperture of the digitiser or
   detector), scaled per calcification (5.) and added. The image's own noise and grain are already in the background.

The ground truth is the image pixels any part of a calcification covers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import InputError
from ..image import Mammogram
from ..masking.breast_mask import compute_breast_mask
from .blending import _background_from
from .case_generator import _case_rng, plan_case
from .cluster_placement import place_groups
from .config import CaseLabel, SynthesisConfig
from .records import CaseRecord, SyntheticCase
from .rendering import Canvas

#: Calcifications are drawn at this spacing (mm) or finer before the image's pixel aperture averages them.
FINE_SPACING_MM = 0.05
#: Screen-film / detector unsharpness (Gaussian sigma, mm) before the pixel aperture: about 0.08 mm for
#: mammography screen-film systems and flat panels with their MTF at 5 lp/mm near 0.5.
ACQUISITION_BLUR_MM = 0.08
#: Fraction by which the densest tissue compresses added contrast (film shoulder / presentation curve).
DENSE_COMPRESSION = 0.5


@dataclass(frozen=True)
class ContrastDistribution:
    """Log-normal effective-attenuation scale drawn per inserted calcification: 1 = the imaging config's effective
    mu_calcium (2.0/mm); ``median`` and ``sigma`` (of the log) fitted to real calcifications (module docstring)."""

    median: float
    sigma: float

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """``count`` scales (float64)."""
        return self.median * np.exp(self.sigma * rng.standard_normal(count))


#: Fitted on mini-MIAS 0.2 mm film with the 0.08 mm blur: ``compare_blended_and_real_calcifications.py --fit-blur
#: 0.08,0.12`` (models README; 0.12 mm fitted worse).
CALIBRATED_CONTRAST = ContrastDistribution(median=0.141, sigma=0.75)


def _local_tissue_level(pixels: np.ndarray, breast: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Tissue level in [0, 1] (5th to 95th percentile inside the breast), smoothed over about 1 mm."""
    smooth = ndimage.gaussian_filter(pixels.astype(np.float32), 1.0 / spacing_mm)
    values = smooth[breast][::17]
    low, high = np.percentile(values, [5, 95]) if values.size else (0.0, 1.0)
    return np.clip((smooth - low) / max(high - low, 1e-6), 0.0, 1.0)


def _to_image_grid(fine: np.ndarray, k: int, reduce) -> np.ndarray:
    rows, cols = fine.shape[0] // k, fine.shape[1] // k
    return reduce(fine.reshape(rows, k, cols, k), axis=(1, 3))


def _scaled_per_instance(added: np.ndarray, instances: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """``added`` with every pixel multiplied by the scale of its nearest instance (ids 1..n, ``scales[id - 1]``), so
    each calcification's blurred signal, tail included, carries its own contrast."""
    if not instances.any():
        return added
    _, nearest = ndimage.distance_transform_edt(instances == 0, return_indices=True)
    owner = instances[nearest[0], nearest[1]]
    return (added * np.concatenate([[0.0], scales]).astype(np.float32)[owner]).astype(np.float32)


def blend_at_acquisition(
    background: Mammogram,
    seed: int = 0,
    index: int = 0,
    config: SynthesisConfig | None = None,
    breast_mask: np.ndarray | None = None,
    contrast: ContrastDistribution = CALIBRATED_CONTRAST,
    blur_mm: float = ACQUISITION_BLUR_MM,
) -> SyntheticCase:
    """Insert planned calcification groups into ``background`` as its acquisition would have recorded them.

    Parameters
    ----------
    background : Mammogram
        A real mammogram (MONOCHROME2: calcium bright), square pixels of any size.
    seed, index : int
        Seed the per-case generator as in :func:`generate_case`.
    config : SynthesisConfig, optional
        Groups per case and class mix; its shape, spacing and blur are replaced by this function's.
    breast_mask : np.ndarray of bool, optional
        Where calcifications may go; the product's breast mask (pectoral muscle excluded) when None.
    contrast : ContrastDistribution
        Per-calcification effective-attenuation scale (the calibrated one by default).
    blur_mm : float
        Gaussian unsharpness (mm) applied on the fine grid before the pixel aperture.

    Returns
    -------
    SyntheticCase
        Pixels float32 with the calcifications added (the original is not modified), instance map on the image
        grid, breast mask and record (``source`` = the background's name).

    Raises
    ------
    InputError
        Non-square pixels or a mask of the wrong shape.
    """
    spacing = background.spacing_mm
    if abs(spacing[0] - spacing[1]) > 0.01 * spacing[0]:
        raise InputError(f"Blending needs square pixels, got {spacing[0]:g} x {spacing[1]:g} mm.")
    k = max(1, math.ceil(spacing[0] / FINE_SPACING_MM - 1e-6))
    fine_mm = spacing[0] / k
    rows, cols = background.shape
    config = dataclasses.replace(
        config or SynthesisConfig(shape=(512, 512)), shape=(rows * k, cols * k), spacing_mm=fine_mm, crop=False
    )
    rng = _case_rng(seed, index)
    if breast_mask is None:
        breast_mask = compute_breast_mask(background.pixels, spacing, background.view).analysable
    breast = np.asarray(breast_mask, bool)
    if breast.shape != background.shape:
        raise InputError(f"The breast mask has shape {breast.shape}, the image {background.shape}.")
    values = background.pixels[breast][::37]
    gain = float(np.percentile(values, 95) - np.percentile(values, 5)) if values.size else 1.0
    imaging = config.imaging
    per_mm = gain * (imaging.mu_calcium_per_mm - 0.5 * (imaging.mu_fat_per_mm + imaging.mu_gland_per_mm))
    level = _local_tissue_level(background.pixels, breast, spacing[0])
    fine_breast = np.repeat(np.repeat(breast, k, axis=0), k, axis=1)
    signal = np.zeros(fine_breast.shape, np.float32)
    canvas = Canvas(
        signal,
        np.zeros(fine_breast.shape, np.int32),
        fine_breast,
        lambda r, c: per_mm * (1.0 - DENSE_COMPRESSION * float(level[r // k, c // k])),
        fine_mm,
        blur_mm / fine_mm,
    )
    label, plan = plan_case(config, rng)
    clusters, calcifications = place_groups(canvas, plan, _background_from(signal, fine_breast, fine_mm), rng)
    instances = _to_image_grid(canvas.instances, k, np.max).astype(np.int32)
    added = _to_image_grid(canvas.signal, k, np.mean)
    scales = contrast.draw(np.random.default_rng([int(seed), int(index), 7]), int(instances.max()))
    pixels = background.pixels.astype(np.float32) + _scaled_per_instance(added, instances, scales)
    name = background.name
    record = CaseRecord(
        f"{name}_acq{seed}-{index:05d}",
        name,
        int(seed),
        int(index),
        label if clusters else CaseLabel.NORMAL,
        "unknown",
        background.view.value,
        background.laterality.value,
        spacing[0],
        tuple(background.shape),
        False,
        config.class_overlap,
        0.0,
        source=name,
        clusters=tuple(clusters),
        calcifications=tuple(calcifications),
    )
    out = dataclasses.replace(background, pixels=pixels, metadata={**background.metadata, "synthetic_blend": True})
    return SyntheticCase(out, instances > 0, instances, breast, record)
