"""The one place with the cut points of the small / medium / large (``_s`` / ``_m`` / ``_l``) image features.

Tong et al. (Front. Oncol. 2024, Pro_UNeXt) count calcifications (or clusters) per feature bin, e.g. ``round_s``,
``round_m``, ``round_l``, but give cut points only for size: fewer than 10, 10 to 30 and more than 30 pixels at
0.068 mm. Every other cut point below is ours; each one says where it comes from. The paper's pixel figures are
converted to millimetres here, once, so the features mean the same thing at every pixel spacing.

Bin convention (all features): ``_s`` holds values below ``low``, ``_l`` values above ``high``, ``_m`` the closed
interval ``[low, high]`` in between, so that the paper's "10-30 pixels" includes 10 and 30 pixels. The comparison
allows a relative tolerance of 1e-9, so an object of exactly 10 pixels at 0.068 mm lands in ``_m`` whatever the
floating-point rounding of 10 x 0.068². NaN values fall in no bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Pixel spacing (mm) the paper's pixel thresholds were stated for (Tong et al. 2024, their data set).
PAPER_SPACING_MM = 0.068

_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CutPoints:
    """Two cut points that split one feature into small / medium / large.

    Attributes
    ----------
    feature : str
        Per-calcification (or per-cluster) column the bins are taken on, e.g. ``"area_mm2"``.
    low, high : float
        Cut points, ``low < high``, in the unit of ``feature``.
    unit : str
        Unit of the cut points (``"mm²"``, ``"mm"``, ``"1"`` for ratios, ``"1/cm²"``).
    reasoning : str
        Where the numbers come from (shown in reports next to the feature).
    """

    feature: str
    low: float
    high: float
    unit: str
    reasoning: str

    def counts(self, values: np.ndarray) -> tuple[int, int, int]:
        """Return ``(n_small, n_medium, n_large)`` for ``values`` (1D float; NaN counted in no bin)."""
        values = np.asarray(values, dtype=float)
        small = values < self.low * (1.0 - _RELATIVE_TOLERANCE)
        large = values > self.high * (1.0 + _RELATIVE_TOLERANCE)
        medium = np.isfinite(values) & ~small & ~large
        return int(small.sum()), int(medium.sum()), int(large.sum())


def _paper_area_mm2(pixels: float) -> float:
    return pixels * PAPER_SPACING_MM * PAPER_SPACING_MM


def _disc_perimeter_mm(area_mm2: float) -> float:
    return 2.0 * math.sqrt(math.pi * area_mm2)


#: Area: the paper's own bins, < 10, 10-30, > 30 pixels at 0.068 mm = 0.0462 and 0.1387 mm².
SIZE = CutPoints(
    "area_mm2",
    _paper_area_mm2(10),
    _paper_area_mm2(30),
    "mm²",
    "Tong et al. 2024: fewer than 10, 10-30, more than 30 pixels at 0.068 mm pixels (0.0462 and 0.1387 mm²).",
)

#: Perimeter: the perimeters of discs with the paper's two size thresholds (0.762 and 1.320 mm), so that a round
#: calcification falls in the same perimeter bin as size bin and irregular outlines move up a bin.
PERIMETER = CutPoints(
    "perimeter_mm",
    _disc_perimeter_mm(SIZE.low),
    _disc_perimeter_mm(SIZE.high),
    "mm",
    "Perimeter of a disc with the paper's size thresholds (10 and 30 pixels at 0.068 mm): 0.762 and 1.320 mm. "
    "A ragged outline has a longer perimeter than a disc of the same area and moves up a bin.",
)

#: Length (largest Feret diameter): BI-RADS 5th ed. size language: punctate < 0.5 mm, round/coarse 0.5-1 mm,
#: rod-like and coarse calcifications > 1 mm.
LENGTH = CutPoints(
    "feret_max_mm",
    0.5,
    1.0,
    "mm",
    "BI-RADS (5th ed.) sizes: punctate calcifications are under 0.5 mm, large rod-like and coarse ones over 1 mm.",
)

#: Long side of the minimum-area rectangle: the sides of squares with the paper's size thresholds (0.215 and
#: 0.372 mm), i.e. the scale of the size bins; it resolves the small calcifications that LENGTH puts all in ``_s``.
LONG_SIDE = CutPoints(
    "rect_long_mm",
    math.sqrt(SIZE.low),
    math.sqrt(SIZE.high),
    "mm",
    "Side of a square with the paper's size thresholds (10 and 30 pixels at 0.068 mm): 0.215 and 0.372 mm; "
    "complements the BI-RADS length bins (0.5, 1 mm), which put almost every microcalcification in _s.",
)

#: Roundness 4 pi A / P^2: a 2:1 ellipse has 0.84, a 4:1 ellipse 0.54. Above 0.85: rounder than 2:1 (punctate,
#: round); below 0.55: more elongated than 4:1 or ragged (linear, pleomorphic).
ROUNDNESS = CutPoints(
    "roundness",
    0.55,
    0.85,
    "1",
    "Roundness of ellipses: 2:1 gives 0.84, 4:1 gives 0.54. Above 0.85 is rounder than a 2:1 ellipse (punctate, "
    "round); below 0.55 more elongated than 4:1 or ragged (fine linear, pleomorphic).",
)

#: Aspect ratio (long / short side of the minimum-area rectangle).
ASPECT_RATIO = CutPoints(
    "aspect_ratio",
    1.5,
    3.0,
    "1",
    "Below 1.5 the object is about as wide as long (punctate, round); 3 or more is the elongation at which "
    "radiologists call a calcification linear or rod-like (BI-RADS fine-linear / large rod-like).",
)

#: Rectangularity (area / minimum rectangle area): a triangle has 0.5, an ellipse pi/4 = 0.785.
RECTANGULARITY = CutPoints(
    "rectangularity",
    0.5,
    math.pi / 4.0,
    "1",
    "Any convex shape fills at least half its minimum rectangle (a triangle 0.5); below 0.5 the outline is "
    "concave (branching, curved, casting). An ellipse fills pi/4 = 0.785; above it the object is blockier than an "
    "ellipse (rods, coarse fragments).",
)

#: Intensity: contrast-to-noise ratio to the 0.544 mm surround, (mean - surround mean) / surround std.
CONTRAST_TO_NOISE = CutPoints(
    "contrast_to_noise",
    2.0,
    5.0,
    "1",
    "Contrast to the 0.544 mm surround in units of the surround's standard deviation, so it does not depend on the "
    "detector's grey scale. 5 is the Rose criterion for a spot to be seen reliably; below 2 the calcification "
    "barely stands out of the tissue texture around it.",
)


def _grid_cluster_density_per_cm2(pitch_mm: float, side: int = 3, calcification_mm: float = 0.3) -> float:
    """Calcifications per cm² of dilated domain for a side x side grid of square calcifications ``pitch_mm`` apart,
    dilated by the paper's 1.088 mm element (16 px at 0.068 mm); the domain is then one square (pitch <= 1.39 mm)."""
    domain_side_mm = (side - 1) * pitch_mm + calcification_mm + 16 * PAPER_SPACING_MM
    return side * side / (domain_side_mm**2 / 100.0)


#: Cluster density (calcifications per cm² of the dilated cluster domain): a 3 x 3 group of 0.3 mm calcifications
#: 1.0 mm apart gives 78/cm², 0.6 mm apart 134/cm².
CLUSTER_DENSITY = CutPoints(
    "calcifications_per_cm2",
    _grid_cluster_density_per_cm2(1.0),
    _grid_cluster_density_per_cm2(0.6),
    "1/cm²",
    "The domain is the calcifications dilated by a 1.088 mm square, so density is per cm² of that domain. A 3 x 3 "
    "group of 0.3 mm calcifications 1.0 mm apart gives 78/cm² (loose: below), 0.6 mm apart 134/cm² (tightly packed: "
    "above). Clusters found on synthetic full-field cases had 40-92/cm².",
)

#: Every binned feature by the prefix of its image-feature names.
BINS: dict[str, CutPoints] = {
    "size": SIZE,
    "density": CONTRAST_TO_NOISE,
    "length": LENGTH,
    "clu_Density": CLUSTER_DENSITY,
    "perimeter": PERIMETER,
    "round": ROUNDNESS,
    "long": LONG_SIDE,
    "rectangularity": RECTANGULARITY,
    "lenratio": ASPECT_RATIO,
}
