"""Drawing the two exams of a synthetic pair: the breast scene, a canvas that remembers every painted calcification,
and the prior's acquisition (dose and presentation for synthetic breasts, a tone curve for real backgrounds)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..image import Laterality, Mammogram, View
from ..masking.breast_mask import compute_breast_mask
from .background import Background, make_background
from .config import BreastDensity, SynthesisConfig
from .imaging import add_quantum_noise, to_presentation
from .rendering import Canvas, Stamp


class RecordingCanvas(Canvas):
    """A :class:`Canvas` that also keeps each painted calcification (stamp, centre, density) by instance id, so any
    subset can be drawn again onto a clean copy of the background."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.painted: dict[int, tuple[Stamp, tuple[int, int], float]] = {}

    def paint(self, stamp: Stamp, center: tuple[int, int], density: float) -> None:
        self.painted[int(self.instances[center])] = (stamp, center, density)
        super().paint(stamp, center, density)

    def draw(self, base: np.ndarray, ids) -> np.ndarray:
        """A copy of ``base`` with the calcifications ``ids`` painted into it."""
        canvas = Canvas(
            base.copy(), self.instances, self.allowed, self.contrast_per_mm, self.spacing_mm, self.blur_sigma_px
        )
        for instance_id in ids:
            stamp, center, density = self.painted[instance_id]
            canvas.paint(stamp, center, density)
        return canvas.signal


@dataclass(frozen=True)
class PairScene:
    """The current-geometry breast both exams are drawn from.

    ``signal`` is attenuation (synthetic) or stored intensity (real); ``breast`` where the breast is (outline, for
    registration); ``placement`` the Background the group placement uses; ``synthetic`` selects the acquisition.
    """

    signal: np.ndarray
    breast: np.ndarray
    placement: Background
    contrast: Callable[[int, int], float]
    spacing_mm: float
    laterality: Laterality
    view: View
    synthetic: bool
    name: str


def synthetic_scene(config: SynthesisConfig, rng: np.random.Generator, name: str) -> PairScene:
    """A synthetic breast (density and view drawn unless the config fixes them)."""
    density = config.density or list(BreastDensity)[int(rng.integers(4))]
    view = config.view or (View.CC, View.MLO)[int(rng.integers(2))]
    laterality = (Laterality.LEFT, Laterality.RIGHT)[int(rng.integers(2))]
    background = make_background(config, density, view, laterality, rng)
    imaging = config.imaging
    span = imaging.mu_gland_per_mm - imaging.mu_fat_per_mm
    gland, factor = background.glandular_low, background.factor

    def contrast(row: int, col: int) -> float:
        return imaging.mu_calcium_per_mm - (imaging.mu_fat_per_mm + span * float(gland[row // factor, col // factor]))

    return PairScene(
        background.attenuation,
        background.breast_mask,
        background,
        contrast,
        config.spacing_mm,
        laterality,
        view,
        True,
        f"{name}_{laterality.value}_{view.value}",
    )


def real_scene(mammogram: Mammogram, config: SynthesisConfig) -> PairScene:
    """A real view (e.g. DDSM) as the breast: calcifications are blended as :func:`blend_calcifications` does."""
    from .blending import _background_from

    masks = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
    spacing = mammogram.spacing_mm[0]
    pixels = mammogram.pixels.astype(np.float32)
    placement = _background_from(pixels, masks.analysable, spacing)
    values = pixels[masks.analysable][::37]
    gain = float(np.percentile(values, 95) - np.percentile(values, 5))
    imaging = config.imaging
    contrast = gain * (imaging.mu_calcium_per_mm - 0.5 * (imaging.mu_fat_per_mm + imaging.mu_gland_per_mm))
    return PairScene(
        pixels,
        masks.breast,
        dataclasses.replace(placement, breast_mask=masks.analysable),
        lambda r, c: contrast,
        spacing,
        mammogram.laterality,
        mammogram.view,
        False,
        mammogram.name,
    )


def acquire_current(scene: PairScene, signal: np.ndarray, config: SynthesisConfig, rng) -> np.ndarray:
    """The current exam's stored pixels: quantum noise and presentation (synthetic) or the pixels as drawn (real)."""
    if not scene.synthetic:
        return signal.astype(np.float32)
    inside = scene.signal[scene.breast][::97]
    reference = float(np.quantile(inside, 0.98)) if inside.size else 1.0
    return to_presentation(add_quantum_noise(signal, scene.spacing_mm, config.imaging, rng), reference)


def acquire_prior(scene: PairScene, warped: np.ndarray, spacing_mm: float, config, change, rng) -> np.ndarray:
    """The prior exam's stored pixels from its warped drawing, with another dose and presentation (synthetic) or
    another monotone tone curve and a little noise (real)."""
    if scene.synthetic:
        dose = float(rng.uniform(*change.dose_factor))
        imaging = dataclasses.replace(config.imaging, photons_per_mm2=config.imaging.photons_per_mm2 * dose)
        inside = scene.signal[scene.breast][::97]
        reference = float(np.quantile(inside, 0.98)) * float(rng.uniform(*change.presentation_factor))
        return to_presentation(add_quantum_noise(warped.astype(np.float32), spacing_mm, imaging, rng), reference)
    low, high = (float(v) for v in np.percentile(scene.signal[scene.breast][::37], (1, 99.5)))
    gamma = float(rng.uniform(0.8, 1.25))
    scaled = np.clip((warped - low) / max(high - low, 1e-6), 0.0, None) ** gamma
    noisy = scaled * (high - low) * float(rng.uniform(*change.presentation_factor)) + low
    noisy += rng.normal(0.0, 0.01 * (high - low), warped.shape)
    return np.clip(noisy, 0.0, None).astype(np.float32)
