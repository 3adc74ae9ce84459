"""The registration's own quality figures and the inverse mapping (prior points to current points).

Both quality figures are measured on the working grid after registration, where no truth is known:

- **breast overlap**: Dice of the current breast and the registered prior breast; a different breast, view or a
  failed registration leaves the outlines apart.
- **texture correlation**: Pearson correlation of the band-passed tissue texture (difference of Gaussians, the
  scales of ducts and lobules, ``texture_band_mm``) inside both breasts. Band-passing removes exposure and processing
  differences (slow intensity trends) and noise, so two exams of one breast correlate and two breasts do not.
"""

from __future__ import annotations

import numpy as np


def _sitk():
    import SimpleITK as sitk

    return sitk


def _band_pass(image, band_mm: tuple[float, float]):
    sitk = _sitk()
    fine = sitk.SmoothingRecursiveGaussian(image, band_mm[0])
    coarse = sitk.SmoothingRecursiveGaussian(image, band_mm[1])
    return sitk.GetArrayFromImage(fine - coarse)


def quality_figures(fixed, moving, fixed_mask, moving_mask, transform, band_mm) -> tuple[float, float]:
    """(breast Dice, texture correlation) of ``moving`` registered onto ``fixed`` by ``transform``.

    Parameters
    ----------
    fixed, moving : SimpleITK.Image, float32
        Working-grid images (intensity scale free).
    fixed_mask, moving_mask : SimpleITK.Image, uint8
        Breast masks on the same grids.
    transform : SimpleITK.Transform
        Fixed physical points to moving physical points.
    band_mm : (float, float)
        Fine and coarse Gaussian sigmas of the band-pass, mm.
    """
    sitk = _sitk()
    warped_mask = sitk.Resample(moving_mask, fixed_mask, transform, sitk.sitkNearestNeighbor, 0)
    a = sitk.GetArrayViewFromImage(fixed_mask) > 0
    b = sitk.GetArrayViewFromImage(warped_mask) > 0
    dice = 2.0 * np.count_nonzero(a & b) / max(np.count_nonzero(a) + np.count_nonzero(b), 1)
    warped = sitk.Resample(moving, fixed, transform, sitk.sitkLinear, 0.0)
    # 3 mm in from the skin line: the band-pass sees the edge there, not tissue
    margin = max(1, int(round(3.0 / fixed.GetSpacing()[0])))
    inner = sitk.GetArrayViewFromImage(sitk.BinaryErode(fixed_mask & warped_mask, [margin] * 2)) > 0
    if np.count_nonzero(inner) < 100:
        return float(dice), 0.0
    u = _band_pass(fixed, band_mm)[inner]
    v = _band_pass(warped, band_mm)[inner]
    u, v = u - u.mean(), v - v.mean()
    denominator = float(np.sqrt(np.sum(u * u) * np.sum(v * v)))
    correlation = float(np.sum(u * v) / denominator) if denominator > 0 else 0.0
    return float(dice), correlation


def inverse_transform(transform, fixed, moving, spacing_mm: float = 1.0):
    """A displacement-field transform mapping moving (prior) points back to fixed (current) points.

    The forward transform is sampled as a displacement field on a ``spacing_mm`` grid covering both images' fields
    (with a 10 mm margin) and inverted with ITK's fixed-point InvertDisplacementFieldImageFilter (Chen et al., Med.
    Phys. 2008), so prior calcifications can be placed on the current image.
    """
    sitk = _sitk()
    corners = []
    for image in (fixed, moving):
        far = [(n - 1) * s for n, s in zip(image.GetSize(), image.GetSpacing(), strict=True)]
        corners += [image.GetOrigin(), tuple(o + f for o, f in zip(image.GetOrigin(), far, strict=True))]
    low = np.min(corners, axis=0) - 10.0
    high = np.max(corners, axis=0) + 10.0
    size = [int(np.ceil((h - lo) / spacing_mm)) + 1 for lo, h in zip(low, high, strict=True)]
    field = sitk.TransformToDisplacementField(
        transform, sitk.sitkVectorFloat64, size, tuple(float(v) for v in low), (spacing_mm,) * 2
    )
    inverse = sitk.InvertDisplacementField(
        field,
        maximumNumberOfIterations=50,
        maxErrorToleranceThreshold=0.01,
        meanErrorToleranceThreshold=0.001,
        enforceBoundaryCondition=False,
    )
    return sitk.DisplacementFieldTransform(inverse)
