"""Configuration of the synthetic mammogram engine: Enums for the BI-RADS vocabulary, frozen dataclasses for settings.

The vocabulary follows the ACR BI-RADS Atlas, 5th edition (2013), calcification section: morphology (typically benign
versus suspicious) and distribution. The engine itself follows the annotation-free idea of Terrassin et al.
(SPIE Medical Imaging 2024): synthetic benign and malignant microcalcifications with exact pixel ground truth,
blended into mammograms.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from ..errors import InputError
from ..image import DEFAULT_SPACING_MM, View, validate_spacing_mm

#: Smallest image side (pixels) the engine accepts: below this a breast outline, a skin line and a cluster of
#: calcifications no longer fit at the default spacing.
MIN_IMAGE_SIDE_PX = 64


class BreastDensity(str, enum.Enum):
    """BI-RADS breast composition (density) category."""

    A = "A"  #: almost entirely fatty
    B = "B"  #: scattered areas of fibroglandular density
    C = "C"  #: heterogeneously dense
    D = "D"  #: extremely dense

    @property
    def glandular_fraction(self) -> float:
        """Share of the breast area drawn as fibroglandular tissue (mid-points of the usual 25 % bands)."""
        return {"A": 0.12, "B": 0.32, "C": 0.58, "D": 0.85}[self.value]

    @classmethod
    def parse(cls, value: str | BreastDensity) -> BreastDensity:
        """Return the category for ``"A"``-``"D"`` (any case), or raise :class:`InputError`."""
        try:
            return cls(str(getattr(value, "value", value)).strip().upper())
        except ValueError as exc:
            raise InputError(f"Breast density must be one of A, B, C, D (BI-RADS), got {value!r}.") from exc


class Morphology(str, enum.Enum):
    """BI-RADS calcification morphology."""

    PUNCTATE = "punctate"
    COARSE_POPCORN = "coarse_popcorn"
    RIM_EGGSHELL = "rim_eggshell"
    LARGE_ROD = "large_rod"
    VASCULAR = "vascular"
    DIFFUSE_SCATTERED = "diffuse_scattered"
    AMORPHOUS = "amorphous"
    COARSE_HETEROGENEOUS = "coarse_heterogeneous"
    FINE_PLEOMORPHIC = "fine_pleomorphic"
    FINE_LINEAR_BRANCHING = "fine_linear_branching"

    @property
    def is_suspicious(self) -> bool:
        """True for the BI-RADS 'suspicious morphology' group, False for 'typically benign'."""
        return self in SUSPICIOUS_MORPHOLOGIES


SUSPICIOUS_MORPHOLOGIES = frozenset(
    {
        Morphology.AMORPHOUS,
        Morphology.COARSE_HETEROGENEOUS,
        Morphology.FINE_PLEOMORPHIC,
        Morphology.FINE_LINEAR_BRANCHING,
    }
)
BENIGN_MORPHOLOGIES = frozenset(set(Morphology) - SUSPICIOUS_MORPHOLOGIES)


class Distribution(str, enum.Enum):
    """BI-RADS calcification distribution."""

    DIFFUSE = "diffuse"
    REGIONAL = "regional"
    GROUPED = "grouped"
    LINEAR = "linear"
    SEGMENTAL = "segmental"


class CaseLabel(str, enum.Enum):
    """Case-level ground truth of a synthetic case."""

    NORMAL = "normal"  #: no calcification drawn (only when zero clusters were asked for)
    BENIGN = "benign"
    MALIGNANT = "malignant"


@dataclass(frozen=True)
class ImagingConfig:
    """Acquisition physics of the synthetic mammogram (effective energy about 20 keV, Mo/Rh or W/Rh spectra).

    Attributes
    ----------
    mu_fat_per_mm, mu_gland_per_mm, mu_skin_per_mm, mu_muscle_per_mm : float
        Linear attenuation (1/mm) of adipose, fibroglandular, skin and muscle tissue (Hammerstein et al. 1979;
        Johns and Yaffe 1987, about 20 keV).
    mu_calcium_per_mm : float
        Effective attenuation of calcification material. Pure hydroxyapatite is about 2.5/mm at 20 keV; real
        calcifications are porous mixtures, so a lower effective value is used.
    photons_per_mm2 : float
        Incident quanta reaching the detector per mm^2 behind no tissue; sets the quantum (Poisson) noise.
    electronic_noise : float
        Standard deviation of the additive detector noise, in quanta per pixel (the Gaussian part).
    blur_sigma_mm : float
        Standard deviation of the Gaussian system blur (focal spot plus detector MTF), in mm.
    compressed_thickness_mm : (float, float)
        Range the compressed breast thickness is drawn from, in mm.
    """

    mu_fat_per_mm: float = 0.046
    mu_gland_per_mm: float = 0.080
    mu_skin_per_mm: float = 0.090
    mu_muscle_per_mm: float = 0.07
    mu_calcium_per_mm: float = 2.0
    photons_per_mm2: float = 6.0e6
    electronic_noise: float = 4.0
    blur_sigma_mm: float = 0.05
    compressed_thickness_mm: tuple[float, float] = (40.0, 65.0)


@dataclass(frozen=True)
class SynthesisConfig:
    """Everything that defines a synthetic case apart from the seed.

    Attributes
    ----------
    shape : (int, int)
        Image size (rows, columns) in pixels. Full field at 0.07 mm is about (3300, 2500); crops e.g. (512, 512).
    spacing_mm : float
        Isotropic pixel spacing in mm (default 0.07, typical full-field digital mammography).
    density : BreastDensity or None
        BI-RADS density; ``None`` draws one per case (uniformly over A-D).
    view : View or None
        ``View.CC`` or ``View.MLO``; ``None`` draws one per case.
    clusters_per_case : (int, int)
        Inclusive range of the number of calcification groups per case. Zero clusters give a NORMAL case.
    malignant_fraction : float
        Probability that a case is malignant, in [0, 1].
    class_overlap : float
        0: benign cases only carry benign morphologies/distributions and malignant cases only suspicious ones;
        1: both classes draw from the same mixture (labels carry no image information). Each cluster is drawn from
        the other class's pool with probability ``class_overlap / 2``.
    crop : bool
        True draws a crop of the inside of the breast (tissue fills the image, no outline) instead of a full view.
    imaging : ImagingConfig
        Acquisition physics.
    """

    shape: tuple[int, int] = (3300, 2500)
    spacing_mm: float = DEFAULT_SPACING_MM
    density: BreastDensity | None = None
    view: View | None = None
    clusters_per_case: tuple[int, int] = (1, 3)
    malignant_fraction: float = 0.5
    class_overlap: float = 0.2
    crop: bool = False
    imaging: ImagingConfig = ImagingConfig()

    def __post_init__(self) -> None:
        validate_config(self)

    @property
    def pixel_area_mm2(self) -> float:
        """Area of one pixel in mm^2."""
        return self.spacing_mm * self.spacing_mm


def _check_fraction(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InputError(f"{name} must be a number between 0 and 1, got {value!r}.")


def validate_config(config: SynthesisConfig) -> None:
    """Raise :class:`InputError` with a message a user can act on when ``config`` cannot be synthesised.

    Checks: positive integer size of at least ``MIN_IMAGE_SIDE_PX``; plausible spacing; density among A-D; view CC or
    MLO; non-negative cluster counts with min <= max; fractions in [0, 1].
    """
    try:
        rows, cols = (int(v) for v in config.shape)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Image size must be two integers (rows, columns), got {config.shape!r}.") from exc
    if (rows, cols) != tuple(config.shape) or rows <= 0 or cols <= 0:
        raise InputError(f"Image size must be positive whole pixels, got {config.shape!r}.")
    if min(rows, cols) < MIN_IMAGE_SIDE_PX:
        raise InputError(
            f"Image size {rows} x {cols} px is too small; each side needs at least {MIN_IMAGE_SIDE_PX} px."
        )
    validate_spacing_mm((config.spacing_mm, config.spacing_mm))
    if config.density is not None and not isinstance(config.density, BreastDensity):
        BreastDensity.parse(config.density)  # raises with the accepted values
        raise InputError(f"Pass the density as BreastDensity.{config.density}, not as {config.density!r}.")
    if config.view is not None and config.view not in (View.CC, View.MLO):
        raise InputError(f"Synthetic views are CC or MLO, got {config.view!r}.")
    low, high = config.clusters_per_case
    if not all(isinstance(v, int) for v in (low, high)) or low < 0 or high < low:
        raise InputError(f"Clusters per case must be whole numbers 0 <= min <= max, got {config.clusters_per_case!r}.")
    _check_fraction("The malignant fraction", config.malignant_fraction)
    _check_fraction("The class overlap", config.class_overlap)
    imaging = config.imaging
    positive = ("mu_calcium_per_mm", "photons_per_mm2", "blur_sigma_mm")
    if any(not getattr(imaging, name) > 0 for name in positive) or imaging.electronic_noise < 0:
        raise InputError(f"Imaging settings must be positive ({', '.join(positive)}) and noise >= 0.")
    t_low, t_high = imaging.compressed_thickness_mm
    if not 10.0 <= t_low <= t_high <= 150.0:
        raise InputError(f"Compressed thickness range must lie in 10-150 mm, got {imaging.compressed_thickness_mm!r}.")
