"""The published figures the product's likelihood of malignancy rests on, as one frozen table with its sources.

Every figure says what kind of number it is:

- ``STUDY``: a positive predictive value measured in one biopsy series for one descriptor (malignant lesions /
  biopsied lesions with that descriptor). The text was checked against the paper's abstract.
- ``ATLAS``: an approximate figure the BI-RADS Atlas (5th ed.) quotes for a descriptor, compiled by the Atlas from
  biopsy series (Bent et al. 2010; Burnside et al. 2007). These are the figures radiologists reason with; they are
  rounded, and the single studies differ from them by several percentage points.
- ``RANGE``: a category's likelihood range as the Atlas defines it (e.g. 4B: > 10 % to <= 50 %), used where no
  per-descriptor study value exists; the point value is the range's middle (on the odds scale for 4A-4C) and is
  shown to users as the range, never as a measured PPV.

Sources
-------
- Liberman L, Abramson AF, Squires FB, Glassman JR, Morris EA, Dershaw DD. The Breast Imaging Reporting and Data
  System: positive predictive value of mammographic features and final assessment categories. AJR 1998;171:35-40.
  492 lesions, carcinoma in 225 (46 %); linear calcification morphology 81 %, segmental distribution 74 %, linear
  distribution 68 %; category 4: 34 % (120/355), category 5: 81 % (105/129). Its conclusion: linear morphology and
  segmental or linear distribution warrant category 5.
- Burnside ES, Ochsner JE, Fowler KJ, et al. Use of microcalcification descriptors in BI-RADS 4th edition to
  stratify risk of malignancy. Radiology 2007;242:388-395; the group's RSNA 2005 report of the series (112
  image-guided biopsies, 2001-2002) gives coarse heterogeneous 7.1 % (1/14).
- Bent CK, Bassett LW, D'Orsi CJ, Sayre JW. The positive predictive value of BI-RADS microcalcification
  descriptors and final assessment categories. AJR 2010;194:1378-1383.
- ACR BI-RADS Atlas, 5th edition (2013): assessment category ranges; approximate PPVs of amorphous (about 20 %),
  fine pleomorphic (about 29 %) and fine linear or fine-linear branching (about 70 %) calcifications.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from types import MappingProxyType

from .vocabulary import Category, Distribution, Morphology


class FigureKind(str, enum.Enum):
    STUDY = "study value"
    ATLAS = "BI-RADS Atlas approximate value"
    RANGE = "category range"


@dataclass(frozen=True)
class PublishedFigure:
    """A likelihood of malignancy with where it comes from.

    Attributes
    ----------
    value : float
        Point value in [0, 1] used in the arithmetic.
    kind : FigureKind
    source : str
        Short citation shown to users, e.g. ``"Liberman 1998"``.
    detail : str
        What the figure is in the source (counts, wording).
    low, high : float
        The range for ``RANGE`` figures (equal to ``value`` otherwise).
    """

    value: float
    kind: FigureKind
    source: str
    detail: str
    low: float = math.nan
    high: float = math.nan

    def text(self) -> str:
        """E.g. ``"PPV about 29%, Bent 2010"`` or ``"likelihood > 10% to <= 50%, BI-RADS Atlas category range"``."""
        if self.kind == FigureKind.RANGE:
            return f"likelihood {_range_text(self.low, self.high)}, {self.source}"
        about = "" if self.kind == FigureKind.STUDY else "about "
        return f"PPV {about}{100 * self.value:.0f}%, {self.source}"


def _range_text(low: float, high: float) -> str:
    if high <= 0:
        return "essentially 0%"
    if high >= 1:
        return f">= {100 * low:.0f}%"
    return f"> {100 * low:.0f}% to <= {100 * high:.0f}%" if low > 0 else f"<= {100 * high:.0f}%"


ATLAS = "BI-RADS Atlas 5th ed."
_ATLAS_DETAIL = "Atlas approximation compiled from Bent 2010 and Burnside 2007"


def _odds_middle(low: float, high: float) -> float:
    """Middle of a likelihood range on the odds scale (geometric mean of the odds)."""
    odds = math.sqrt(low / (1 - low) * high / (1 - high))
    return odds / (1 + odds)


def _range(category: Category, low: float, high: float, value: float | None = None) -> PublishedFigure:
    point = _odds_middle(low, high) if value is None else value
    return PublishedFigure(point, FigureKind.RANGE, f"{ATLAS} category range", f"{category.label}", low, high)


#: Likelihood of malignancy of each assessment category as the Atlas defines it.
CATEGORY_RANGES = MappingProxyType(
    {
        Category.BENIGN: _range(Category.BENIGN, 0.0, 0.0, 0.0),
        Category.PROBABLY_BENIGN: _range(Category.PROBABLY_BENIGN, 0.0, 0.02, 0.01),
        Category.LOW_SUSPICION: _range(Category.LOW_SUSPICION, 0.02, 0.10),
        Category.MODERATE_SUSPICION: _range(Category.MODERATE_SUSPICION, 0.10, 0.50),
        Category.HIGH_SUSPICION: _range(Category.HIGH_SUSPICION, 0.50, 0.95),
        Category.HIGHLY_SUGGESTIVE: _range(Category.HIGHLY_SUGGESTIVE, 0.95, 1.0, 0.95),
    }
)

#: Per-morphology PPV of the suspicious morphologies (typically benign forms: category 2, no PPV of their own).
MORPHOLOGY_PPV = MappingProxyType(
    {
        Morphology.FINE_LINEAR: PublishedFigure(
            0.81, FigureKind.STUDY, "Liberman 1998", "linear calcification morphology, 81% of biopsied lesions"
        ),
        Morphology.FINE_PLEOMORPHIC: PublishedFigure(0.29, FigureKind.ATLAS, f"Bent 2010, {ATLAS}", _ATLAS_DETAIL),
        Morphology.AMORPHOUS: PublishedFigure(0.20, FigureKind.ATLAS, f"{ATLAS}", _ATLAS_DETAIL),
        Morphology.COARSE_HETEROGENEOUS: PublishedFigure(
            0.071, FigureKind.STUDY, "Burnside 2005-2007", "coarse heterogeneous 1/14 biopsied (RSNA 2005 report)"
        ),
    }
)

#: Overall PPV of the Liberman series, the reference its distribution PPVs are turned into likelihood ratios against.
LIBERMAN_OVERALL = PublishedFigure(0.46, FigureKind.STUDY, "Liberman 1998", "carcinoma in 225 of 492 lesions")

#: Distribution PPVs with a study value; grouped and regional have none the product can cite, so they leave the
#: morphology's figure unchanged (likelihood ratio 1); diffuse is handled as typically benign by the assessment.
DISTRIBUTION_PPV = MappingProxyType(
    {
        Distribution.SEGMENTAL: PublishedFigure(0.74, FigureKind.STUDY, "Liberman 1998", "segmental distribution"),
        Distribution.LINEAR: PublishedFigure(0.68, FigureKind.STUDY, "Liberman 1998", "linear distribution"),
    }
)


def odds(p: float) -> float:
    return p / (1.0 - p)


def distribution_likelihood_ratio(distribution: Distribution) -> float:
    """How much a distribution multiplies the odds of malignancy: its PPV's odds over the odds of the whole series
    it was measured in (Liberman 1998), 1 for distributions without a cited study value."""
    figure = DISTRIBUTION_PPV.get(distribution)
    return 1.0 if figure is None else odds(figure.value) / odds(LIBERMAN_OVERALL.value)


def category_for_likelihood(likelihood: float) -> Category:
    """The category whose Atlas range holds ``likelihood`` (a suspicious finding: never below 4A)."""
    for category in (Category.HIGHLY_SUGGESTIVE, Category.HIGH_SUSPICION, Category.MODERATE_SUSPICION):
        if likelihood > CATEGORY_RANGES[category].low or (
            category == Category.HIGHLY_SUGGESTIVE and likelihood >= CATEGORY_RANGES[category].low
        ):
            return category
    return Category.LOW_SUSPICION


def source_rows() -> list[tuple[str, str, str, str]]:
    """(descriptor or category, figure, kind, source and detail) for the README and the report's source table."""
    rows = [
        (m.value, f"{100 * f.value:.1f}%", f.kind.value, f"{f.source}: {f.detail}") for m, f in MORPHOLOGY_PPV.items()
    ]
    rows += [
        (d.value, f"{100 * f.value:.0f}%", f.kind.value, f"{f.source}: {f.detail}") for d, f in DISTRIBUTION_PPV.items()
    ]
    rows.append(("all lesions (reference)", "46%", LIBERMAN_OVERALL.kind.value, LIBERMAN_OVERALL.detail))
    rows += [(c.label, _range_text(f.low, f.high), f.kind.value, ATLAS) for c, f in CATEGORY_RANGES.items()]
    return rows
