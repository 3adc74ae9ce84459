"""The eight training augmentations of Tong et al. (Front. Oncol. 2024, Pro_UNeXt, section 2.3).

The paper lists cropping, scaling of the original image, Gaussian blur, sharpening, grayscale transformation, affine
transformation, grayscale histogram transformation and calcification copy-paste, without probabilities or strengths;
the defaults of :class:`AugmentationConfig` are ours and are stated there.

Order inside :func:`augment`: copy-paste first (it needs the crop's breast region, which is aligned with the crop only
before any geometric change), then the three geometric transforms composed into one matrix and applied in a single
resampling (bilinear for the image, nearest neighbour for the mask, the same coordinates for both, so they stay
aligned and the mask stays binary), then the intensity transforms, which touch the image only. Every random number is
drawn from the caller's generator in a fixed order, so a seeded generator gives the same crop every time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Optional

import numpy as np
from scipy import ndimage

from ..errors import InputError

if TYPE_CHECKING:
    from .copy_paste import CalcificationDonors

#: Intensity range of normalised images (NormalisationSpec clips to it); sharpening and pasting clip back into it.
_UNIT_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class AugmentationConfig:
    """Probabilities and strengths of the eight augmentations; each is applied independently with its probability.

    Attributes
    ----------
    crop_probability : float
        Cropping: a random window is cut out and resized back to the crop size (a zoom-in with a random position).
    crop_range : (float, float)
        Side of that window as a fraction of the crop side, drawn per axis (so the aspect ratio varies too).
    scale_probability : float
        Scaling of the original image: isotropic zoom about the crop centre; zooming out mirrors the content at the
        border.
    scale_range : (float, float)
        Zoom factor (>1 enlarges), drawn log-uniformly so enlarging and shrinking are equally likely.
    blur_probability : float
        Gaussian blur.
    blur_sigma_px : (float, float)
        Standard deviation of the blur in pixels (0.07 mm each at the default training spacing).
    sharpen_probability : float
        Sharpening by unsharp masking: ``image + amount * (image - gaussian(image, sharpen_sigma_px))``.
    sharpen_amount : (float, float)
        Range of ``amount`` (dimensionless).
    sharpen_sigma_px : float
        Width of the unsharp mask in pixels.
    gamma_probability : float
        Grayscale transformation: ``image ** gamma`` on the normalised [0, 1] intensities.
    gamma_range : (float, float)
        Range of ``gamma``, drawn log-uniformly (<1 brightens the mid-tones, >1 darkens them).
    affine_probability : float
        Affine transformation about the crop centre: rotation, shear, anisotropic scale and a mirror image.
    affine_rotation_deg : float
        Rotation drawn uniformly in +-this many degrees.
    affine_shear : float
        Shear factor (tangent of the shear angle) drawn uniformly in +-this.
    affine_scale : (float, float)
        Scale per axis, drawn uniformly.
    affine_flip_probability : float
        Chance, once the affine transform is applied, that it also mirrors the columns (calcifications have no
        handedness, and left and right breasts are mirror images).
    histogram_probability : float
        Grayscale histogram transformation: the crop is blended with its histogram-equalised self.
    histogram_strength : float
        Largest blend weight of the equalised image (0 = unchanged, 1 = fully equalised); drawn uniformly in
        [0, histogram_strength].
    copy_paste_probability : float
        Calcification copy-paste (:mod:`calcification.core.training.copy_paste`): connected calcification components
        of another training image are pasted into the crop's breast region.
    copy_paste_max_fraction : float
        The share of that donor image's components pasted is drawn uniformly in (0, copy_paste_max_fraction]
        (at least one component).
    max_donors : int
        At most this many donor components are kept in memory (spread evenly over the training images).

    Defaults: crop 0.3 with windows 0.7-1.0, scale 0.3 with 0.8-1.25, blur 0.15 with sigma 0.3-1.0 px, sharpen 0.15
    with amount 0.3-1.0 at sigma 1 px, gamma 0.3 with 0.7-1.4, affine 0.5 with +-20 deg, shear +-0.1, scale 0.9-1.1
    and a mirror image half the time, histogram 0.15 with strength up to 0.5, copy-paste 0.3 with up to all of one
    donor image's components, 2000 donor components.
    """

    crop_probability: float = 0.3
    crop_range: tuple[float, float] = (0.7, 1.0)
    scale_probability: float = 0.3
    scale_range: tuple[float, float] = (0.8, 1.25)
    blur_probability: float = 0.15
    blur_sigma_px: tuple[float, float] = (0.3, 1.0)
    sharpen_probability: float = 0.15
    sharpen_amount: tuple[float, float] = (0.3, 1.0)
    sharpen_sigma_px: float = 1.0
    gamma_probability: float = 0.3
    gamma_range: tuple[float, float] = (0.7, 1.4)
    affine_probability: float = 0.5
    affine_rotation_deg: float = 20.0
    affine_shear: float = 0.1
    affine_scale: tuple[float, float] = (0.9, 1.1)
    affine_flip_probability: float = 0.5
    histogram_probability: float = 0.15
    histogram_strength: float = 0.5
    copy_paste_probability: float = 0.3
    copy_paste_max_fraction: float = 1.0
    max_donors: int = 2000

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.name.endswith("_probability") and not 0.0 <= getattr(self, field.name) <= 1.0:
                raise InputError(f"Augmentation {field.name} must lie in [0, 1], got {getattr(self, field.name)}.")
        positive_ranges = (
            "crop_range",
            "scale_range",
            "blur_sigma_px",
            "sharpen_amount",
            "gamma_range",
            "affine_scale",
        )
        for name in positive_ranges:
            low, high = getattr(self, name)
            if not 0.0 < low <= high:
                raise InputError(f"Augmentation {name} must be (low, high) with 0 < low <= high, got {(low, high)}.")
        if self.crop_range[1] > 1.0:
            raise InputError(f"crop_range is a fraction of the crop side and cannot exceed 1, got {self.crop_range}.")
        checks = (
            (self.sharpen_sigma_px > 0, "sharpen_sigma_px must be positive"),
            (0 <= self.affine_rotation_deg <= 180, "affine_rotation_deg must lie in [0, 180]"),
            (0 <= self.affine_shear < 1, "affine_shear must lie in [0, 1)"),
            (0 <= self.histogram_strength <= 1, "histogram_strength must lie in [0, 1]"),
            (0 < self.copy_paste_max_fraction <= 1, "copy_paste_max_fraction must lie in (0, 1]"),
            (self.max_donors >= 0, "max_donors cannot be negative"),
        )
        for ok, message in checks:
            if not ok:
                raise InputError(f"Augmentation settings: {message}.")

    @classmethod
    def none(cls) -> AugmentationConfig:
        """Every probability 0: :func:`augment` returns its input unchanged."""
        return cls(**{f.name: 0.0 for f in fields(cls) if f.name.endswith("_probability")})


# --- geometry: each step returns a 3x3 matrix mapping output (row, col, 1) to input coordinates ----------------------


def _about_centre(linear: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Homogeneous matrix applying ``linear`` (output -> input) about the array centre."""
    centre = (np.asarray(shape, float) - 1.0) / 2.0
    matrix = np.eye(3)
    matrix[:2, :2] = linear
    matrix[:2, 2] = centre - linear @ centre
    return matrix


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]))))


def _crop_matrix(rng: np.random.Generator, config: AugmentationConfig, shape: tuple[int, int]) -> np.ndarray:
    """Random window of side ``f * n`` per axis (f in ``crop_range``) stretched back over the whole output."""
    fractions = rng.uniform(*config.crop_range, size=2)
    offsets = rng.random(2) * (np.asarray(shape) - 1.0) * (1.0 - fractions)
    matrix = np.eye(3)
    matrix[[0, 1], [0, 1]] = fractions
    matrix[:2, 2] = offsets
    return matrix


def _scale_matrix(rng: np.random.Generator, config: AugmentationConfig, shape: tuple[int, int]) -> np.ndarray:
    return _about_centre(np.eye(2) / _log_uniform(rng, config.scale_range), shape)


def _affine_matrix(rng: np.random.Generator, config: AugmentationConfig, shape: tuple[int, int]) -> np.ndarray:
    """Rotation, shear, per-axis scale and an optional column mirror, composed as output -> input."""
    angle = np.deg2rad(rng.uniform(-config.affine_rotation_deg, config.affine_rotation_deg))
    shear = rng.uniform(-config.affine_shear, config.affine_shear)
    scale = rng.uniform(*config.affine_scale, size=2)
    flip = -1.0 if rng.random() < config.affine_flip_probability else 1.0
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    forward = rotation @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([scale[0], scale[1] * flip])
    return _about_centre(np.linalg.inv(forward), shape)


def _geometry(rng: np.random.Generator, config: AugmentationConfig, shape: tuple[int, int]) -> Optional[np.ndarray]:
    """Composed output -> input matrix of the geometric augmentations drawn, or None when none is drawn."""
    matrix = None
    steps = (
        (config.crop_probability, _crop_matrix),
        (config.scale_probability, _scale_matrix),
        (config.affine_probability, _affine_matrix),
    )
    for probability, make in steps:
        if rng.random() < probability:
            step = make(rng, config, shape)
            # Each later step acts on the output of the earlier ones: out -> (later) -> (earlier) -> input.
            matrix = step if matrix is None else matrix @ step
    return matrix


def _resample(image: np.ndarray, mask: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image (bilinear) and mask (nearest) sampled at the same input coordinates; 'mirror' fills past the border."""
    linear, offset = matrix[:2, :2], matrix[:2, 2]
    warped = ndimage.affine_transform(image, linear, offset, order=1, mode="mirror", prefilter=False)
    if not mask.any():  # an empty mask stays empty; most crops of the hard-negative share have none
        return warped.astype(image.dtype, copy=False), np.zeros_like(mask)
    labels = ndimage.affine_transform(mask.astype(np.uint8), linear, offset, order=0, mode="mirror")
    return warped.astype(image.dtype, copy=False), labels.astype(mask.dtype, copy=False)


# --- intensity: the image only ------------------------------------------------------------------------------------


def _gamma(image: np.ndarray, rng: np.random.Generator, config: AugmentationConfig) -> np.ndarray:
    return np.power(np.clip(image, *_UNIT_RANGE), _log_uniform(rng, config.gamma_range))


def _histogram(image: np.ndarray, rng: np.random.Generator, config: AugmentationConfig) -> np.ndarray:
    """Blend with the crop's own histogram equalisation (256 bins over [0, 1])."""
    weight = rng.uniform(0.0, config.histogram_strength)
    bins = (np.clip(image, *_UNIT_RANGE) * 255.999).astype(np.intp)
    cdf = np.cumsum(np.bincount(bins.ravel(), minlength=256)) / max(image.size, 1)
    equalised = cdf[bins]  # each pixel's rank in the crop, on 256 grey levels
    return (1.0 - weight) * image + weight * equalised


def _blur(image: np.ndarray, rng: np.random.Generator, config: AugmentationConfig) -> np.ndarray:
    return ndimage.gaussian_filter(image, rng.uniform(*config.blur_sigma_px), mode="mirror")


def _sharpen(image: np.ndarray, rng: np.random.Generator, config: AugmentationConfig) -> np.ndarray:
    amount = rng.uniform(*config.sharpen_amount)
    detail = image - ndimage.gaussian_filter(image, config.sharpen_sigma_px, mode="mirror")
    return np.clip(image + amount * detail, *_UNIT_RANGE)


def _intensity(image: np.ndarray, rng: np.random.Generator, config: AugmentationConfig) -> np.ndarray:
    steps = (
        (config.gamma_probability, _gamma),
        (config.histogram_probability, _histogram),
        (config.blur_probability, _blur),
        (config.sharpen_probability, _sharpen),
    )
    for probability, transform in steps:
        if rng.random() < probability:
            image = transform(image, rng, config)
    return image


def _check(image: np.ndarray, mask: np.ndarray, region: Optional[np.ndarray]) -> None:
    if image.ndim != 2 or mask.shape != image.shape or (region is not None and region.shape != image.shape):
        raise InputError(
            f"Augmentation needs a 2-D image with a mask (and breast region) of the same shape; got image "
            f"{image.shape}, mask {mask.shape}, region {None if region is None else region.shape}."
        )


def augment(
    image: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    config: AugmentationConfig,
    donors: Optional[CalcificationDonors] = None,
    *,
    region: Optional[np.ndarray] = None,
    source: Optional[int] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the paper's eight augmentations to one training crop (Tong et al., Front. Oncol. 2024).

    Parameters
    ----------
    image : np.ndarray, float, (rows, cols)
        Normalised intensities, about [0, 1]. Not modified.
    mask : np.ndarray, bool or {0, 1} integers, (rows, cols)
        Calcification pixels. Not modified.
    rng : np.random.Generator
        The only source of randomness; the same generator state gives the same result.
    config : AugmentationConfig
    donors : CalcificationDonors, optional
        Components for copy-paste; without them (or without components) copy-paste is skipped.
    region : np.ndarray of bool, (rows, cols), optional
        The crop's breast region: the only place calcifications are pasted (the whole crop when None).
    source : int, optional
        Index of the training case the crop comes from, so copy-paste takes components from other images.

    Returns
    -------
    (image, mask) : np.ndarray, np.ndarray
        New arrays with the input shapes and dtypes; the mask holds only 0 and 1 (False and True).

    Raises
    ------
    InputError
        When the shapes disagree.
    """
    _check(image, mask, region)
    out_image, out_mask = image, mask
    if donors is not None and rng.random() < config.copy_paste_probability:
        from .copy_paste import paste_calcifications

        fraction = config.copy_paste_max_fraction * (1.0 - rng.random())  # in (0, max]
        out_image, out_mask = paste_calcifications(
            out_image, out_mask, donors, rng, fraction, region=region, exclude_source=source
        )
    matrix = _geometry(rng, config, image.shape)
    if matrix is not None:
        out_image, out_mask = _resample(out_image, out_mask, matrix)
    out_image = _intensity(out_image, rng, config)
    return np.array(out_image, dtype=image.dtype), np.array(out_mask, dtype=mask.dtype)
