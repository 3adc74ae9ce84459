"""Registration of the prior mammogram onto the current one, with SimpleITK's registration framework.

Two exams of one breast differ by compression and positioning (a rigid or affine motion plus a smooth deformation),
by exposure and processing, and sometimes by the detector (pixel size). The registration therefore runs in three
stages on a common working grid (``working_spacing_mm``, physical millimetres, so pixel sizes may differ):

1. **Masks**: an affine transform that aligns the signed distance maps of the two breast outlines (mean squares),
   started from their centres of mass. The outline is what changes least with exposure and processing.
2. **Texture, affine**: the same affine refined on the tissue texture with Mattes mutual information, which only
   assumes that the intensity relation between the exams is statistical (Mattes et al., IEEE TMI 2003).
3. **Texture, deformable**: a cubic B-spline on top of it (control points every ``bspline_mesh_mm``), again Mattes
   mutual information, for the smooth deformation that a different compression leaves (Rueckert et al., IEEE TMI
   1999).

The transform maps current physical points (x = column direction, y = row direction, mm, origin at the first pixel's
centre) to prior points, as SimpleITK resamples a moving (prior) image onto a fixed (current) grid. Its quality is
judged by two figures of its own, both computed on the working grid after registration: the Dice overlap of the two
breast outlines and the correlation of the band-passed tissue texture inside the breast. Below either limit the
registration is called poor and changes must not be called (:meth:`Registration.check_acceptable`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


class RegistrationError(InputError):
    """The prior could not be brought onto the current image well enough to call changes; the message says why."""


@dataclass(frozen=True)
class RegistrationSettings:
    """Settings of :func:`register_prior` (lengths in mm).

    The quality limits were set from ``Testing/Benchmarks/benchmark_prior_comparison.py``: two exams of one breast
    (16 synthetic and 4 warped-DDSM pairs) reached a breast Dice of 0.96-1.00 and a texture correlation of 0.90-1.00;
    another breast (``--mismatched``, 6 pairs, and the tests' small pairs) gave Dice 0.54-0.98 and texture correlation
    -0.08 to 0.30. The texture correlation is what tells them apart (an outline alone can fit another breast); the
    Dice limit catches a registration that failed outright.
    """

    working_spacing_mm: float = 1.0
    distance_clip_mm: float = 15.0
    bspline_mesh_mm: float = 40.0
    affine_iterations: int = 120
    bspline_iterations: int = 60
    histogram_bins: int = 32
    sampling_fraction: float = 0.3
    texture_band_mm: tuple[float, float] = (0.75, 3.0)
    min_breast_dice: float = 0.93
    min_texture_correlation: float = 0.35
    seed: int = 7


@dataclass(frozen=True, eq=False)
class Registration:
    """The prior-onto-current registration and its quality figures.

    Attributes
    ----------
    transform : SimpleITK.Transform
        Maps current physical points (mm) to prior physical points (mm).
    breast_dice : float
        Overlap of the current breast and the registered prior breast, in [0, 1].
    texture_correlation : float
        Pearson correlation of the band-passed tissue texture inside the breast after registration, in [-1, 1].
    settings : RegistrationSettings
    """

    transform: object
    breast_dice: float
    texture_correlation: float
    settings: RegistrationSettings
    _inverse: list = field(default_factory=list, repr=False)

    @property
    def acceptable(self) -> bool:
        """True when both quality figures reach their limits."""
        return self.breast_dice >= self.settings.min_breast_dice and (
            self.texture_correlation >= self.settings.min_texture_correlation
        )

    @property
    def quality_text(self) -> str:
        """The quality figures in one phrase, e.g. ``"breast overlap 0.98, texture correlation 0.71"``."""
        return f"breast overlap {self.breast_dice:.2f}, texture correlation {self.texture_correlation:.2f}"

    def check_acceptable(self) -> None:
        """Raise :class:`RegistrationError` when the registration is too poor to call changes."""
        if not self.acceptable:
            limits = self.settings
            raise RegistrationError(
                f"The prior could not be registered onto the current image well enough to call changes "
                f"({self.quality_text}; needed {limits.min_breast_dice:.2f} and {limits.min_texture_correlation:.2f}):"
                " check that both images show the same breast and view."
            )

    def current_to_prior(self, points_xy_mm: np.ndarray) -> np.ndarray:
        """Map (n, 2) current points (x, y in mm) to the prior; returns float64 (n, 2)."""
        points = np.asarray(points_xy_mm, dtype=np.float64).reshape(-1, 2)
        return np.array([self.transform.TransformPoint(tuple(p)) for p in points], dtype=np.float64).reshape(-1, 2)

    def prior_to_current(self, points_xy_mm: np.ndarray) -> np.ndarray:
        """Map (n, 2) prior points (x, y in mm) to the current image through the inverted displacement field."""
        points = np.asarray(points_xy_mm, dtype=np.float64).reshape(-1, 2)
        if not self._inverse:
            raise InputError("This registration has no inverse (it was made without the images' extents).")
        inverse = self._inverse[0]
        return np.array([inverse.TransformPoint(tuple(p)) for p in points], dtype=np.float64).reshape(-1, 2)


def _sitk():
    import SimpleITK as sitk  # here: the library imports without SimpleITK until a registration is asked for

    return sitk


def to_sitk_image(pixels: np.ndarray, spacing_mm: tuple[float, float]):
    """A float32 SimpleITK image of ``pixels`` (rows, cols) with spacing (column, row) in mm, origin 0."""
    sitk = _sitk()
    image = sitk.GetImageFromArray(np.ascontiguousarray(pixels, dtype=np.float32))
    image.SetSpacing((float(spacing_mm[1]), float(spacing_mm[0])))
    return image


def _working_grid(image, spacing_mm: float, smooth: bool = True):
    """``image`` resampled onto a ``spacing_mm`` grid covering the same field (Gaussian anti-aliasing first)."""
    sitk = _sitk()
    size = [max(8, int(round(n * s / spacing_mm))) for n, s in zip(image.GetSize(), image.GetSpacing(), strict=True)]
    if smooth and spacing_mm > max(image.GetSpacing()):
        image = sitk.SmoothingRecursiveGaussian(image, spacing_mm / 2.0)
    return sitk.Resample(
        image, size, sitk.Transform(), sitk.sitkLinear, image.GetOrigin(), (spacing_mm,) * 2, image.GetDirection()
    )


def _normalised_texture(image, mask):
    """Intensities mapped so the breast's 2nd-98th percentiles span 0-1 (outside: 0), for mutual information."""
    sitk = _sitk()
    values = sitk.GetArrayViewFromImage(image)
    inside = sitk.GetArrayViewFromImage(mask) > 0
    low, high = np.percentile(values[inside], (2, 98)) if inside.any() else (0.0, 1.0)
    scaled = np.clip((values - low) / max(high - low, 1e-6), 0.0, 1.0) * inside
    out = sitk.GetImageFromArray(scaled.astype(np.float32))
    out.CopyInformation(image)
    return out


def _distance_map(mask, clip_mm: float):
    sitk = _sitk()
    distance = sitk.SignedMaurerDistanceMap(mask, insideIsPositive=True, squaredDistance=False, useImageSpacing=True)
    return sitk.Clamp(sitk.Cast(distance, sitk.sitkFloat32), sitk.sitkFloat32, -clip_mm, clip_mm)


def _method(settings: RegistrationSettings, shrink: list, smooth: list):
    sitk = _sitk()
    method = sitk.ImageRegistrationMethod()
    method.SetShrinkFactorsPerLevel(shrink)
    method.SetSmoothingSigmasPerLevel(smooth)
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    method.SetInterpolator(sitk.sitkLinear)
    return method


def _skin_band(distance, band_mm: float, border_mm: float):
    """Pixels within ``band_mm`` of the skin line and more than ``border_mm`` from the image edge: where the outline
    is the breast's own (along the image edge it is only where the detector ends)."""
    sitk = _sitk()
    values = sitk.GetArrayViewFromImage(distance)
    band = (np.abs(values) < band_mm).astype(np.uint8)
    edge = max(1, int(round(border_mm / distance.GetSpacing()[0])))
    band[:edge], band[-edge:], band[:, :edge], band[:, -edge:] = 0, 0, 0, 0
    mask = sitk.GetImageFromArray(band)
    mask.CopyInformation(distance)
    return mask


def _mask_affine(fixed_mask, moving_mask, settings: RegistrationSettings):
    """Stage 1: affine on the signed distance maps of the breast outlines, started from their centres of mass and
    measured along the skin line only (a breast cut by the image edge differs there between exams)."""
    sitk = _sitk()
    fixed, moving = (_distance_map(m, settings.distance_clip_mm) for m in (fixed_mask, moving_mask))
    initial = sitk.CenteredTransformInitializer(
        sitk.Cast(fixed_mask, sitk.sitkFloat32),
        sitk.Cast(moving_mask, sitk.sitkFloat32),
        sitk.AffineTransform(2),
        sitk.CenteredTransformInitializerFilter.MOMENTS,
    )
    method = _method(settings, [4, 2, 1], [2, 1, 0])
    method.SetMetricAsMeanSquares()
    method.SetMetricFixedMask(_skin_band(fixed, 10.0, 8.0))
    method.SetOptimizerAsRegularStepGradientDescent(1.0, 1e-3, settings.affine_iterations, relaxationFactor=0.6)
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(initial, inPlace=True)
    method.Execute(fixed, moving)
    return initial


def _texture_affine(fixed, moving, fixed_mask, affine, settings: RegistrationSettings):
    """Stage 2: the affine refined on the texture (Mattes mutual information inside the current breast)."""
    sitk = _sitk()
    method = _method(settings, [2, 1], [1, 0])
    method.SetMetricAsMattesMutualInformation(settings.histogram_bins)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(settings.sampling_fraction, settings.seed)
    method.SetMetricFixedMask(fixed_mask)
    method.SetOptimizerAsRegularStepGradientDescent(0.5, 1e-4, settings.affine_iterations, relaxationFactor=0.6)
    method.SetOptimizerScalesFromPhysicalShift()
    refined = sitk.AffineTransform(affine)
    method.SetInitialTransform(refined, inPlace=True)
    method.Execute(fixed, moving)
    return refined


def _texture_bspline(fixed, moving, fixed_mask, affine, settings: RegistrationSettings):
    """Stage 3: a cubic B-spline on top of the affine (Mattes mutual information, L-BFGS-B)."""
    sitk = _sitk()
    extent = [n * s for n, s in zip(fixed.GetSize(), fixed.GetSpacing(), strict=True)]
    mesh = [max(1, int(math.ceil(e / settings.bspline_mesh_mm))) for e in extent]
    bspline = sitk.BSplineTransformInitializer(fixed, mesh, 3)
    method = _method(settings, [2, 1], [1, 0])
    method.SetMetricAsMattesMutualInformation(settings.histogram_bins)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(settings.sampling_fraction, settings.seed)
    method.SetMetricFixedMask(fixed_mask)
    method.SetOptimizerAsLBFGSB(1e-5, settings.bspline_iterations, maximumNumberOfCorrections=5)
    method.SetMovingInitialTransform(affine)
    method.SetInitialTransform(bspline, inPlace=True)
    method.Execute(fixed, moving)
    return sitk.CompositeTransform([affine, bspline])


def _mask_image(mask: np.ndarray, spacing_mm: tuple[float, float], working_mm: float):
    sitk = _sitk()
    coarse = _working_grid(to_sitk_image(np.asarray(mask, np.float32), spacing_mm), working_mm, smooth=False)
    return sitk.Cast(coarse > 0.5, sitk.sitkUInt8)


def register_prior(
    current: np.ndarray,
    current_spacing_mm: tuple[float, float],
    current_breast: np.ndarray,
    prior: np.ndarray,
    prior_spacing_mm: tuple[float, float],
    prior_breast: np.ndarray,
    settings: RegistrationSettings | None = None,
) -> Registration:
    """Register the prior mammogram onto the current one (masks first, texture second).

    Parameters
    ----------
    current, prior : np.ndarray, float (rows, cols)
        The two mammograms, bright = dense; their intensity scales may differ.
    current_spacing_mm, prior_spacing_mm : (float, float)
        Pixel spacings (row, column), mm; they may differ.
    current_breast, prior_breast : np.ndarray, bool (rows, cols)
        Breast masks of each image (pectoral muscle included), e.g. ``compute_breast_mask(...).breast``.
    settings : RegistrationSettings, optional

    Returns
    -------
    Registration
        Transform (current mm -> prior mm), quality figures and the inverse mapping. Check
        :attr:`Registration.acceptable` before calling changes.

    Raises
    ------
    RegistrationError
        When a breast mask is empty or SimpleITK's optimiser fails (e.g. no overlap left).
    """
    from .registration_quality import inverse_transform, quality_figures

    settings = settings or RegistrationSettings()
    if not np.any(current_breast) or not np.any(prior_breast):
        raise RegistrationError("No breast was found on one of the two images, so they cannot be registered.")
    sitk = _sitk()
    working = settings.working_spacing_mm
    fixed_mask = _mask_image(current_breast, current_spacing_mm, working)
    moving_mask = _mask_image(prior_breast, prior_spacing_mm, working)
    fixed = _normalised_texture(_working_grid(to_sitk_image(current, current_spacing_mm), working), fixed_mask)
    moving = _normalised_texture(_working_grid(to_sitk_image(prior, prior_spacing_mm), working), moving_mask)
    # the metric looks 2 mm inside the skin line, where tissue, not the edge, decides
    inner_mask = sitk.BinaryErode(fixed_mask, [max(1, int(round(2.0 / working)))] * 2)
    try:
        affine = _mask_affine(fixed_mask, moving_mask, settings)
        affine = _texture_affine(fixed, moving, inner_mask, affine, settings)
        transform = _texture_bspline(fixed, moving, inner_mask, affine, settings)
    except RuntimeError as exc:  # SimpleITK reports a failed optimisation (e.g. too few samples overlap) this way
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise RegistrationError(f"Registering the prior onto the current image failed ({reason[:160]}).") from exc
    dice, correlation = quality_figures(fixed, moving, fixed_mask, moving_mask, transform, settings.texture_band_mm)
    inverse = inverse_transform(transform, fixed, moving)
    return Registration(transform, dice, correlation, settings, [inverse])
