"""Image formation: quantum and electronic noise on the attenuation map, then the 12-bit presentation mapping.

Noise model (Poisson-Gaussian): a pixel receives N = N0 exp(-A) quanta on average, with N0 the unattenuated count
and A the attenuation line integral; its variance is N (Poisson, in the Gaussian limit valid for hundreds of quanta)
plus the electronic variance. After the log transform the noise on A has standard deviation sqrt(N + s_e^2) / N, so
dense and thick regions are noisier, as on real detectors (e.g. Yaffe and Rowlands, Phys. Med. Biol. 1997).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .config import ImagingConfig

#: Top of the stored value range: a 12-bit detector (MONOCHROME2, 0 = no attenuation).
MAX_PIXEL_VALUE = 4095.0


def add_quantum_noise(
    attenuation: np.ndarray, spacing_mm: float, imaging: ImagingConfig, rng: np.random.Generator
) -> np.ndarray:
    """Return ``attenuation`` with Poisson-Gaussian noise, as the log of a noisy quantum count.

    Parameters
    ----------
    attenuation : np.ndarray, float32, (rows, columns)
        Noise-free line integral of mu (dimensionless).
    spacing_mm : float
        Pixel spacing; the quanta per pixel scale with its area.
    imaging : ImagingConfig
        ``photons_per_mm2`` and ``electronic_noise`` (quanta per pixel).
    rng : numpy.random.Generator

    Returns
    -------
    np.ndarray, float32, same shape.
    """
    n0 = imaging.photons_per_mm2 * spacing_mm * spacing_mm
    expected = np.exp(-attenuation, dtype=np.float32)
    expected *= np.float32(n0)
    # sqrt(N + s_e^2) / N, computed in place to keep a full-field case within a few arrays of memory
    std = np.sqrt(expected + np.float32(imaging.electronic_noise**2))
    std /= expected
    noise = rng.standard_normal(attenuation.shape, dtype=np.float32)
    noise *= std
    noise += attenuation
    return noise


def system_blur(patch: np.ndarray, spacing_mm: float, imaging: ImagingConfig) -> np.ndarray:
    """Gaussian system blur (focal spot and detector MTF) of a float array, ``imaging.blur_sigma_mm`` wide."""
    return ndimage.gaussian_filter(patch, imaging.blur_sigma_mm / spacing_mm, truncate=3.0)


def to_presentation(attenuation: np.ndarray, reference: float) -> np.ndarray:
    """Map attenuation to 12-bit presentation values in place: air 0, ``reference`` (dense tissue) near 3,600.

    A mild power law (exponent 2.2) darkens fat relative to dense tissue, as the presentation processing of
    full-field systems does; it is monotone, so calcium stays brighter than the tissue around it.

    Returns
    -------
    np.ndarray, float32, whole numbers in [0, 4095].
    """
    scale = np.float32(1.0 / reference)
    attenuation *= scale
    np.clip(attenuation, 0.0, 1.12, out=attenuation)
    np.power(attenuation, np.float32(2.2), out=attenuation)
    attenuation *= np.float32(3600.0)
    np.clip(attenuation, 0.0, MAX_PIXEL_VALUE, out=attenuation)
    np.rint(attenuation, out=attenuation)  # a detector stores whole numbers: lossless as uint16
    return attenuation
