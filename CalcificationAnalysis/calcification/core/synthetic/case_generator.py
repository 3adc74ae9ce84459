"""One synthetic case: background, calcification groups, label and exact ground truth, from (seed, index).

Labels follow Terrassin et al. (SPIE Medical Imaging 2024) and the BI-RADS risk vocabulary: a malignant case draws
its groups from the suspicious pool (amorphous, coarse heterogeneous, fine pleomorphic, fine linear / branching in
grouped, linear or segmental distributions), a benign case from the typically-benign pool. With probability
``class_overlap / 2`` a group comes from the other pool instead, so the two classes overlap and no classifier can be
perfect by construction (at ``class_overlap = 1`` the label carries no image information).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..image import Laterality, Mammogram, View
from ..progress import ProgressCallback, report_progress
from .background import make_background
from .cluster_placement import place_groups
from .config import BreastDensity, CaseLabel, Distribution, Morphology, SynthesisConfig
from .imaging import add_quantum_noise, to_presentation
from .records import CaseRecord, SyntheticCase
from .rendering import Canvas

M, D = Morphology, Distribution
#: (morphology, distribution, weight): the typically-benign pool.
BENIGN_POOL = (
    (M.PUNCTATE, D.DIFFUSE, 2.0),
    (M.PUNCTATE, D.REGIONAL, 1.0),
    (M.PUNCTATE, D.GROUPED, 1.5),
    (M.DIFFUSE_SCATTERED, D.DIFFUSE, 1.5),
    (M.DIFFUSE_SCATTERED, D.REGIONAL, 1.0),
    (M.COARSE_POPCORN, D.REGIONAL, 1.0),
    (M.RIM_EGGSHELL, D.REGIONAL, 1.0),
    (M.LARGE_ROD, D.SEGMENTAL, 1.0),
    (M.VASCULAR, D.LINEAR, 1.0),
)
#: The suspicious pool.
SUSPICIOUS_POOL = (
    (M.AMORPHOUS, D.GROUPED, 1.5),
    (M.AMORPHOUS, D.REGIONAL, 0.5),
    (M.COARSE_HETEROGENEOUS, D.GROUPED, 1.5),
    (M.FINE_PLEOMORPHIC, D.GROUPED, 2.0),
    (M.FINE_PLEOMORPHIC, D.SEGMENTAL, 1.0),
    (M.FINE_LINEAR_BRANCHING, D.LINEAR, 1.0),
    (M.FINE_LINEAR_BRANCHING, D.SEGMENTAL, 1.0),
)


def _draw_from(pool, rng: np.random.Generator) -> tuple[Morphology, Distribution]:
    weights = np.array([w for _, _, w in pool])
    morphology, distribution, _ = pool[int(rng.choice(len(pool), p=weights / weights.sum()))]
    return morphology, distribution


def plan_case(
    config: SynthesisConfig, rng: np.random.Generator
) -> tuple[CaseLabel, list[tuple[Morphology, Distribution, bool]]]:
    """Draw the case label and its groups as (morphology, distribution, drawn-from-suspicious-pool)."""
    n_groups = int(rng.integers(config.clusters_per_case[0], config.clusters_per_case[1] + 1))
    malignant = bool(rng.random() < config.malignant_fraction)
    groups = []
    for _ in range(n_groups):
        swapped = rng.random() < config.class_overlap / 2.0
        suspicious = malignant != swapped
        groups.append((*_draw_from(SUSPICIOUS_POOL if suspicious else BENIGN_POOL, rng), suspicious))
    if not groups:
        return CaseLabel.NORMAL, groups
    return (CaseLabel.MALIGNANT if malignant else CaseLabel.BENIGN), groups


def _case_rng(seed: int, index: int) -> np.random.Generator:
    for name, value in (("seed", seed), ("case index", index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InputError(f"The {name} must be a whole number >= 0, got {value!r}.")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


def _draw_appearance(config: SynthesisConfig, rng) -> tuple[BreastDensity, View, Laterality]:
    density = config.density or list(BreastDensity)[int(rng.integers(4))]
    view = config.view or (View.CC, View.MLO)[int(rng.integers(2))]
    laterality = (Laterality.LEFT, Laterality.RIGHT)[int(rng.integers(2))]
    return density, view, laterality


def generate_case(
    config: SynthesisConfig | None = None, seed: int = 0, index: int = 0, progress: ProgressCallback = None
) -> SyntheticCase:
    """Generate synthetic case number ``index`` of the series ``seed``; bit-identical for the same arguments.

    Parameters
    ----------
    config : SynthesisConfig or None
        Size, spacing, density / view (or None to draw them), groups per case, class balance and overlap.
    seed, index : int
        The per-case generator is seeded from (seed, index) only, never from global state.
    progress : callable or None
        ``progress(fraction, message) -> bool``; returning False raises :class:`CancelledError`.

    Returns
    -------
    SyntheticCase
        Mammogram (float32, 0-4095, spacing carried), calcification mask, instance map, breast mask and record.

    Raises
    ------
    InputError
        For a negative seed or index (configuration errors are raised when the config is built).
    """
    config = config or SynthesisConfig()
    rng = _case_rng(seed, index)
    density, view, laterality = _draw_appearance(config, rng)
    report_progress(progress, 0.0, "Drawing the breast")
    background = make_background(config, density, view, laterality, rng)
    label, plan = plan_case(config, rng)
    imaging = config.imaging
    span = imaging.mu_gland_per_mm - imaging.mu_fat_per_mm
    gland, factor = background.glandular_low, background.factor

    def contrast(row: int, col: int) -> float:
        # calcium replaces tissue along its path: the contrast is relative to the local fat/gland mixture
        return imaging.mu_calcium_per_mm - (imaging.mu_fat_per_mm + span * float(gland[row // factor, col // factor]))

    canvas = Canvas(
        background.attenuation,
        np.zeros(config.shape, np.int32),
        background.breast_mask,
        contrast,
        config.spacing_mm,
        imaging.blur_sigma_mm / config.spacing_mm,
    )
    report_progress(progress, 0.4, "Drawing calcifications")
    clusters, calcifications = place_groups(canvas, plan, background, rng)
    if not clusters:
        label = CaseLabel.NORMAL
    report_progress(progress, 0.7, "Simulating the detector")
    inside = background.attenuation[background.breast_mask][::97]
    reference = float(np.quantile(inside, 0.98)) if inside.size else 1.0
    pixels = to_presentation(add_quantum_noise(canvas.signal, config.spacing_mm, imaging, rng), reference)
    case_id = f"synth{seed}-{index:05d}_{laterality.value}_{view.value}"
    record = CaseRecord(
        case_id,
        f"synth{seed}-{index:05d}",
        int(seed),
        int(index),
        label,
        density.value,
        view.value,
        laterality.value,
        config.spacing_mm,
        tuple(config.shape),
        config.crop,
        config.class_overlap,
        round(background.thickness_mm, 2),
        clusters=tuple(clusters),
        calcifications=tuple(calcifications),
    )
    mammogram = Mammogram(
        pixels,
        (config.spacing_mm,) * 2,
        laterality,
        view,
        bit_depth=12,
        metadata={"synthetic": True, "case_id": case_id},
    )
    report_progress(progress, 1.0, "Done")
    return SyntheticCase(mammogram, canvas.instances > 0, canvas.instances, background.breast_mask, record)
