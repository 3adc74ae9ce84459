"""Describe every calcification and every finding of one image in BI-RADS words, with a suggested assessment:
the one call the analysis, the report, the panel and the SR share.

A *finding* is a set of calcifications linked within :data:`.distribution.LINK_MM` (every product cluster lies in
one), or the calcifications scattered outside all findings when they are diffuse. Each finding gets a distribution,
a dominant morphology (from its members together), a runner-up for each, the evidence, and an assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .assessment import Assessment, assess
from .distribution import (
    MIN_FINDING,
    DistributionCall,
    call_diffuse,
    call_distribution,
    link_findings,
    measure_geometry,
)
from .morphology import MorphologyCall, call_morphology, single_summaries, summarize
from .nipple import estimate_nipple_mm
from .shape_measures import measure_shapes
from .vocabulary import Category, Morphology

#: Large benign forms described even when fewer than a finding's minimum, linked within this distance (mm): the
#: Atlas's regional distribution spans more than 2 cm.
MACRO_MORPHOLOGIES = frozenset({Morphology.RIM, Morphology.COARSE_POPCORN, Morphology.LARGE_ROD})
MACRO_LINK_MM = 30.0

#: Shown with every descriptor-based assessment.
DESCRIPTOR_NOTE = (
    "Descriptors are computed from measured shapes and positions; the likelihood combines published single-descriptor "
    "figures and is a suggestion for the radiologist, not a diagnosis."
)


@dataclass(frozen=True)
class Finding:
    """One described group of calcifications.

    Attributes
    ----------
    finding_id : int
        1..k in order of the first member's label.
    rows : tuple of int
        Row indices of the members in the image's :class:`CalcificationMeasurements`.
    cluster_ids : tuple of int
        Product clusters (Tong et al.) among the members.
    morphology, distribution : MorphologyCall, DistributionCall
    assessment : Assessment
    centre_mm : (float, float)
        Mean member centre (x, y) in mm.
    """

    finding_id: int
    rows: tuple[int, ...]
    cluster_ids: tuple[int, ...]
    morphology: MorphologyCall
    distribution: DistributionCall
    assessment: Assessment
    centre_mm: tuple[float, float]

    @property
    def count(self) -> int:
        return len(self.rows)

    def headline(self) -> str:
        """E.g. "Fine pleomorphic, grouped: BI-RADS 4B suggested (PPV about 29%, Bent 2010, ...)"."""
        words = f"{self.morphology.morphology.value}, {self.distribution.distribution.value}"
        return (
            f"{words[0].upper()}{words[1:]}: {self.assessment.category.label} suggested ({self.assessment.figure_text})"
        )


@dataclass(frozen=True)
class ImageDescription:
    """BI-RADS description of one image.

    Attributes
    ----------
    morphology : tuple of Morphology
        One per calcification, in measurement row order.
    finding_of : np.ndarray, int64 (n,)
        Finding id of each calcification, 0 for none.
    findings : tuple of Finding
        By decreasing likelihood of malignancy (the first is the headline).
    """

    morphology: tuple
    finding_of: np.ndarray
    findings: tuple

    @property
    def top(self) -> Optional[Finding]:
        return self.findings[0] if self.findings else None

    @property
    def likelihood(self) -> float:
        """Highest likelihood over the findings, 0 without a finding (the image's score)."""
        return self.findings[0].assessment.likelihood if self.findings else 0.0

    def headline(self) -> str:
        top = self.top
        return top.headline() if top else "No calcification finding to describe (no group of 4 or more)."

    def finding_of_cluster(self, cluster_id: int) -> Optional[Finding]:
        for finding in self.findings:
            if cluster_id in finding.cluster_ids:
                return finding
        return None


def describe_calcifications(
    image, labels, measurements, breast: Optional[np.ndarray] = None, pectoral=None, lateral: bool = False
) -> ImageDescription:
    """BI-RADS morphology per calcification, findings with distribution, morphology and assessment.

    Parameters
    ----------
    image : np.ndarray, float (rows, cols)
        The mammogram (bright = dense).
    labels : np.ndarray, int (rows, cols)
        Instance labels of ``measurements``.
    measurements : CalcificationMeasurements
        With cluster ids attached.
    breast : np.ndarray, bool (rows, cols), optional
        For the nipple direction (segmental distribution); without it, ductal orientation is not tested.
    pectoral : np.ndarray, bool (rows, cols), optional
        The pectoral muscle (MLO views): the nipple is then the breast point farthest from its edge line.
    lateral : bool
        True for MLO / ML / LM views (see :func:`calcification.core.birads.nipple.estimate_nipple_mm`).
    """
    n = len(measurements)
    if n == 0:
        return ImageDescription((), np.zeros(0, np.int64), ())
    shapes = measure_shapes(image, labels, measurements)
    per_calcification = tuple(call_morphology(summary).morphology for summary in single_summaries(measurements, shapes))
    points = np.stack([measurements.centroid_x_mm, measurements.centroid_y_mm], axis=1)
    nipple = estimate_nipple_mm(breast, measurements.spacing_mm, pectoral, lateral)
    groups = link_findings(points)
    sets, leftover = [], []
    for group in range(int(groups.max()) + 1):
        rows = np.flatnonzero(groups == group)
        (sets if rows.size >= MIN_FINDING else leftover).append(rows)
    calls = [call_distribution(measure_geometry(points[rows], nipple)) for rows in sets]
    if leftover:
        rows = np.concatenate(leftover)
        diffuse = call_diffuse(measure_geometry(points[rows], nipple)) if rows.size > 1 else None
        if diffuse is not None:
            sets.append(rows)
            calls.append(diffuse)
        else:
            for macro in _macrocalcification_sets(rows, per_calcification, points):
                sets.append(macro)
                calls.append(call_distribution(measure_geometry(points[macro], nipple)))
    findings = [_finding(measurements, shapes, rows, call, points) for rows, call in zip(sets, calls, strict=True)]
    findings.sort(key=lambda f: (-f.assessment.likelihood, _rank(f.assessment.category), f.rows[0]))
    findings = [_renumbered(f, i + 1) for i, f in enumerate(findings)]
    finding_of = np.zeros(n, dtype=np.int64)
    for finding in findings:
        finding_of[list(finding.rows)] = finding.finding_id
    return ImageDescription(per_calcification, finding_of, tuple(findings))


def _macrocalcification_sets(rows: np.ndarray, morphology: tuple, points: np.ndarray) -> list[np.ndarray]:
    """Large typically benign calcifications outside findings (rim, popcorn, rods: the Atlas describes even a few of
    them), linked within :data:`MACRO_LINK_MM`; sets of at least two."""
    large = np.array([r for r in rows if morphology[r] in MACRO_MORPHOLOGIES], dtype=np.int64)
    if large.size < 2:
        return []
    groups = link_findings(points[large], MACRO_LINK_MM)
    sets = [large[groups == g] for g in range(int(groups.max()) + 1)]
    return [s for s in sets if s.size >= 2]


def _rank(category: Category) -> int:
    return -list(Category).index(category)


def _finding(measurements, shapes, rows: np.ndarray, distribution: DistributionCall, points) -> Finding:
    morphology: MorphologyCall = call_morphology(summarize(measurements, shapes, rows))
    clusters = sorted({int(c) for c in measurements.cluster_id[rows] if c > 0})
    centre = points[rows].mean(axis=0)
    return Finding(
        0,
        tuple(int(r) for r in rows),
        tuple(clusters),
        morphology,
        distribution,
        assess(morphology.morphology, distribution.distribution),
        (float(centre[0]), float(centre[1])),
    )


def _renumbered(finding: Finding, finding_id: int) -> Finding:
    from dataclasses import replace

    return replace(finding, finding_id=finding_id)


__all__ = ["DESCRIPTOR_NOTE", "Finding", "ImageDescription", "Morphology", "describe_calcifications"]
