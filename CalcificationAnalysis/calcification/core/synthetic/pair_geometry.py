"""The known geometry and acquisition change between a synthetic prior and current exam.

A prior exam of the same breast differs by compression and positioning: a small rotation, translation and an
anisotropic scale (the breast compressed a little more or less), plus a smooth deformation of the tissue (a random
displacement field smoothed over ``smoothness_mm``, scaled so its largest displacement is ``max_bend_mm``). It may
also come from another detector (pixel size) with another dose and presentation curve.

The transform maps **prior** physical points (mm, x = column direction, y = row direction) to **current** points:
that is what resampling the current-geometry drawing into the prior's grid needs. The truth of a calcification's
prior position is its inverse at the calcification's current centre, found here by a fixed-point iteration
preconditioned with the inverse affine (exact to 1e-4 mm for these mild deformations), independently of the
inverse that the comparison itself uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class PairChangeSettings:
    """Ranges the change between the two exams is drawn from (uniform within each range).

    Attributes
    ----------
    rotation_deg, translation_mm, scale : (float, float)
        Rigid motion and compression (scale per axis drawn independently).
    max_bend_mm, smoothness_mm : float
        Largest displacement of the smooth deformation, and the Gaussian width that smooths it.
    prior_spacing_factor : (float, float)
        Prior pixel size / current pixel size (1.0: same detector).
    dose_factor : (float, float)
        Prior quanta / current quanta (quantum noise level).
    presentation_factor : (float, float)
        Prior presentation reference / current one (brightness and contrast of the processing).
    """

    rotation_deg: tuple[float, float] = (-3.0, 3.0)
    translation_mm: tuple[float, float] = (-6.0, 6.0)
    scale: tuple[float, float] = (0.96, 1.04)
    max_bend_mm: float = 3.0
    smoothness_mm: float = 25.0
    prior_spacing_factor: tuple[float, float] = (1.0, 1.25)
    dose_factor: tuple[float, float] = (0.6, 1.4)
    presentation_factor: tuple[float, float] = (0.85, 1.15)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def draw_prior_transform(rng: np.random.Generator, extent_xy_mm: tuple[float, float], settings: PairChangeSettings):
    """A SimpleITK transform (prior mm -> current mm): smooth displacement, then affine about the field's centre."""
    import SimpleITK as sitk

    centre = (extent_xy_mm[0] / 2.0, extent_xy_mm[1] / 2.0)
    affine = sitk.AffineTransform(2)
    affine.SetCenter(centre)
    angle = math.radians(_uniform(rng, settings.rotation_deg))
    sx, sy = _uniform(rng, settings.scale), _uniform(rng, settings.scale)
    c, s = math.cos(angle), math.sin(angle)
    affine.SetMatrix((c * sx, -s * sy, s * sx, c * sy))
    affine.SetTranslation((_uniform(rng, settings.translation_mm), _uniform(rng, settings.translation_mm)))
    cell_mm = 2.0
    size = [int(math.ceil(e / cell_mm)) + 9 for e in extent_xy_mm]
    components = []
    for _ in range(2):
        noise = ndimage.gaussian_filter(rng.standard_normal(size[::-1]), settings.smoothness_mm / cell_mm)
        components.append(noise)
    largest = float(np.max(np.hypot(*components))) or 1.0
    field = np.stack(components, axis=-1) * (settings.max_bend_mm / largest)
    image = sitk.GetImageFromArray(field.astype(np.float64), isVector=True)
    image.SetOrigin((-4 * cell_mm, -4 * cell_mm))
    image.SetSpacing((cell_mm, cell_mm))
    bend = sitk.DisplacementFieldTransform(image)
    return sitk.CompositeTransform([affine, bend]), affine


def invert_points(transform, affine, points_xy_mm: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Prior points p with ``transform(p) = c`` for each current point c (n, 2) in mm (the truth, not an estimate)."""
    inverse = np.linalg.inv(np.array(affine.GetMatrix()).reshape(2, 2))
    result = []
    for target in np.asarray(points_xy_mm, dtype=np.float64).reshape(-1, 2):
        point = np.array(affine.GetInverse().TransformPoint(tuple(target)))
        for _ in range(iterations):
            residual = target - np.array(transform.TransformPoint(tuple(point)))
            point = point + inverse @ residual
            if float(np.hypot(*residual)) < 1e-5:
                break
        result.append(point)
    return np.array(result, dtype=np.float64).reshape(-1, 2)


def resample_to_prior(array: np.ndarray, spacing_mm: float, prior_spacing_mm: float, transform, nearest: bool = False):
    """Draw the current-geometry ``array`` into the prior's grid (same field of view, ``prior_spacing_mm`` pixels).

    Linear interpolation after a Gaussian anti-aliasing filter for intensities; nearest neighbour for label maps.
    Pixels mapped from outside the current field repeat the nearest edge pixel (a breast cut by the image edge stays
    cut at the prior's edge, as on a real exam, instead of ending in an artificial step inside the image); label maps
    get 0 there.
    """
    import SimpleITK as sitk

    source = np.asarray(array)
    if not nearest and prior_spacing_mm > spacing_mm * 1.01:
        sigma = 0.5 * math.sqrt((prior_spacing_mm / spacing_mm) ** 2 - 1.0)
        source = ndimage.gaussian_filter(source.astype(np.float32), sigma)
    image = sitk.GetImageFromArray(np.ascontiguousarray(source))
    image.SetSpacing((spacing_mm, spacing_mm))
    rows, cols = array.shape
    size = (int(round(cols * spacing_mm / prior_spacing_mm)), int(round(rows * spacing_mm / prior_spacing_mm)))
    interpolator = sitk.sitkNearestNeighbor if nearest else sitk.sitkLinear
    out = sitk.Resample(
        image,
        size,
        transform,
        interpolator,
        (0.0, 0.0),
        (prior_spacing_mm,) * 2,
        (1, 0, 0, 1),
        0,
        image.GetPixelID(),
        not nearest,
    )
    return sitk.GetArrayFromImage(out)
