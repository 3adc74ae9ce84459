"""BI-RADS morphology from measured shapes, for one calcification or a finding's members together.

One decision tree of the Atlas's own size and shape words serves both levels: a calcification is described by its
own measures, a finding by the medians of its members' and two spread measures (how many members are uniformly
round, how much their areas vary) that only a group has. Each test is a measured value against a cut; the
runner-up is the class on the other side of the test that was passed by the smallest margin, and the evidence lists
the values tested.

Cuts: the Atlas sizes (punctate and fine forms below 0.5 mm, coarse heterogeneous 0.5-1 mm, popcorn and rim
calcifications larger, fine linear casts below 0.5 mm wide, large rods 0.5 mm or wider) and shape cut points set on
synthetic calcifications with known morphology (series 3000; the benchmark checks on the held-out series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .vocabulary import Morphology

#: Median Feret diameter (mm) below which calcifications are "fine" (punctate, amorphous, fine pleomorphic).
FINE_MM = 0.55
#: Median Feret diameter (mm) from which calcifications are large (rim, popcorn).
LARGE_MM = 1.2
#: A member is elongated when it is at least ELONGATED_MM long and either its aspect ratio is at least
#: ELONGATED_ASPECT or its skeleton is at least THIN_RATIO times its width (a branching cast fills a squat box).
ELONGATED_ASPECT = 2.5
ELONGATED_MM = 0.8
THIN_RATIO = 6.0
#: Elongated findings: at least this share of elongated members.
ELONGATED_SHARE = 0.5
#: Casts at least this wide (mm) are large rods (secretory), thinner ones fine linear or vessel walls.
ROD_WIDTH_MM = 0.3
#: Straight thin rods (rectangularity at least this) are vessel walls; casts that curve and branch fill less.
STRAIGHT_RECTANGULARITY = 0.5
#: Amorphous: too faint to show a shape (median contrast-to-noise below this).
FAINT_CNR = 1.5
#: Smooth round: median roundness at least this.
ROUND_ROUNDNESS = 0.97
#: Rim: a lucent centre (median lucency above this; 0 means no measurable centre, e.g. a thin cast).
LUCENT = 0.0
#: A fine finding is punctate (uniform) when uniform share + area variation reaches this; otherwise pleomorphic.
UNIFORM_SCORE = 1.05
#: ... and always when at least this share of its members are round and equiaxed (aspect ratio below 1.2 and
#: roundness at least UNIFORM_ROUNDNESS: a digitised disc of a few pixels reads 0.83-1.0 by where its centre falls).
ROUND_SHARE = 0.6
UNIFORM_ROUNDNESS = 0.8


@dataclass(frozen=True)
class ShapeSummary:
    """The measures the tree tests (medians over the members for a finding)."""

    feret_mm: float
    roundness: float
    aspect_ratio: float
    contrast_to_noise: float
    elongated_share: float
    lucency: float
    uniform_share: float
    area_variation: float
    width_mm: float
    rectangularity: float
    count: int = 1


@dataclass(frozen=True)
class MorphologyCall:
    morphology: Morphology
    runner_up: Optional[Morphology]
    evidence: str


#: Pixel size (mm) the size cuts were set at. A digitised object reaches on average half a pixel beyond its edge on
#: each side, so its Feret diameter overstates its size by about one pixel: sizes are compared after replacing that
#: pixel by one of this size, which keeps the cuts meaning the same physical size at coarser spacings (0.2 mm film).
SYNTHETIC_PIXEL_MM = 0.07


def _pixel_mm(measurements) -> float:
    return float(np.mean(measurements.spacing_mm))


def summarize(measurements, shapes, rows: np.ndarray) -> ShapeSummary:
    """Medians over the calcifications at ``rows`` of ``measurements`` / ``shapes`` (one row: its own values)."""
    m, s = measurements, shapes
    area = m.area_mm2[rows]
    thin = s.skeleton_mm[rows] >= THIN_RATIO * s.width_mm[rows]
    elongated = ((m.aspect_ratio[rows] >= ELONGATED_ASPECT) | thin) & (m.feret_max_mm[rows] >= ELONGATED_MM)
    uniform = (m.roundness[rows] >= UNIFORM_ROUNDNESS) & (m.aspect_ratio[rows] < 1.2)
    cnr = np.clip(np.nan_to_num(m.contrast_to_noise[rows], nan=0.0, posinf=200.0, neginf=-200.0), -200, 200)
    return ShapeSummary(
        feret_mm=float(np.median(m.feret_max_mm[rows])) - _pixel_mm(m) + SYNTHETIC_PIXEL_MM,
        roundness=float(np.median(m.roundness[rows])),
        aspect_ratio=float(np.median(m.aspect_ratio[rows])),
        contrast_to_noise=float(np.median(cnr)),
        elongated_share=float(np.mean(elongated)),
        lucency=float(np.median(s.lucency[rows])),
        uniform_share=float(np.mean(uniform)),
        area_variation=float(area.std() / area.mean()) if area.mean() > 0 else 0.0,
        width_mm=float(np.median(s.width_mm[rows])),
        rectangularity=float(np.median(m.rectangularity[rows])),
        count=int(len(rows)),
    )


def single_summaries(measurements, shapes) -> list[ShapeSummary]:
    """:func:`summarize` of each calcification by itself, for all at once (plain floats: thousands of calcifications
    take milliseconds, where one :func:`summarize` call each took seconds)."""
    m, s = measurements, shapes
    thin = (s.skeleton_mm >= THIN_RATIO * s.width_mm).tolist()
    aspect, feret, roundness = m.aspect_ratio.tolist(), m.feret_max_mm.tolist(), m.roundness.tolist()
    cnr = np.clip(np.nan_to_num(m.contrast_to_noise, nan=0.0, posinf=200.0, neginf=-200.0), -200, 200).tolist()
    size_shift = SYNTHETIC_PIXEL_MM - _pixel_mm(m)
    summaries = []
    for i, (a, f, r) in enumerate(zip(aspect, feret, roundness, strict=True)):
        elongated = float((a >= ELONGATED_ASPECT or thin[i]) and f >= ELONGATED_MM)
        uniform = float(r >= UNIFORM_ROUNDNESS and a < 1.2)
        summaries.append(
            ShapeSummary(
                f + size_shift,
                r,
                a,
                cnr[i],
                elongated,
                float(s.lucency[i]),
                uniform,
                0.0,
                float(s.width_mm[i]),
                float(m.rectangularity[i]),
                1,
            )
        )
    return summaries


class _Path:
    """The tests passed on the way to a leaf: (name, value, cut, unit, class on the other side)."""

    def __init__(self) -> None:
        self.tests: list[tuple[str, float, float, str, Morphology]] = []

    def test(self, name: str, value: float, cut: float, unit: str, other: Morphology) -> float:
        self.tests.append((name, value, cut, unit, other))
        return value

    def call(self, morphology: Morphology) -> MorphologyCall:
        runner, margin = None, math.inf
        for _, value, cut, _, other in self.tests:
            relative = abs(value - cut) / max(abs(cut), 0.05)
            if other != morphology and relative < margin:
                runner, margin = other, relative
        evidence = "; ".join(
            f"{name} {value:.2f}{unit} (cut {cut:g}{unit})" for name, value, cut, unit, _ in self.tests
        )
        return MorphologyCall(morphology, runner, evidence)


def call_morphology(summary: ShapeSummary) -> MorphologyCall:
    """The morphology of a calcification or a finding from its :class:`ShapeSummary` (tree in the module docstring)."""
    s, path, M = summary, _Path(), Morphology
    if path.test("elongated share", s.elongated_share, ELONGATED_SHARE, "", M.ROUND) >= ELONGATED_SHARE:
        if path.test("width", s.width_mm, ROD_WIDTH_MM, " mm", M.FINE_LINEAR) >= ROD_WIDTH_MM:
            return path.call(M.LARGE_ROD)
        straight = path.test("rectangularity", s.rectangularity, STRAIGHT_RECTANGULARITY, "", M.FINE_LINEAR)
        if straight >= STRAIGHT_RECTANGULARITY:
            return path.call(M.VASCULAR)
        return path.call(M.FINE_LINEAR)
    if path.test("size", s.feret_mm, LARGE_MM, " mm", M.COARSE_HETEROGENEOUS) >= LARGE_MM:
        if path.test("lucency", s.lucency, LUCENT, "", M.COARSE_POPCORN) > LUCENT:
            return path.call(M.RIM)
        return path.call(M.COARSE_POPCORN)
    if path.test("size", s.feret_mm, FINE_MM, " mm", M.FINE_PLEOMORPHIC) >= FINE_MM:
        if path.test("roundness", s.roundness, ROUND_ROUNDNESS, "", M.COARSE_HETEROGENEOUS) >= ROUND_ROUNDNESS:
            return path.call(M.ROUND)
        return path.call(M.COARSE_HETEROGENEOUS)
    if path.test("contrast-to-noise", s.contrast_to_noise, FAINT_CNR, "", M.FINE_PLEOMORPHIC) < FAINT_CNR:
        return path.call(M.AMORPHOUS)
    # mostly round, equiaxed members: punctate whatever their sizes; fewer of them, but specks of widely varied sizes
    # (as punctate groups are) also read as punctate; one calcification has no spread, so its own roundness decides
    if s.count > 1 and s.uniform_share >= ROUND_SHARE:
        uniform = UNIFORM_SCORE + s.uniform_share - ROUND_SHARE
    else:
        uniform = s.uniform_share + s.area_variation if s.count > 1 else s.uniform_share * UNIFORM_SCORE
    if path.test("uniformity", uniform, UNIFORM_SCORE, "", M.FINE_PLEOMORPHIC) >= UNIFORM_SCORE:
        return path.call(M.ROUND)
    return path.call(M.FINE_PLEOMORPHIC)
