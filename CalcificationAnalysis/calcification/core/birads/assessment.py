"""A suggested BI-RADS assessment category and a likelihood of malignancy for one finding, from its morphology and
distribution and the published figures of :mod:`.ppv_table`.

Rules, in order:

1. Typically benign morphology: category 2 (Atlas range: essentially 0 %), except round / punctate calcifications
   in a grouped distribution, which the Atlas allows as probably benign (category 3, <= 2 %), and round / punctate
   ones along a line or segment, which follow a duct and are suggested as 4A (range 2-10 %).
2. Amorphous calcifications in a diffuse distribution: category 2 (the Atlas: diffuse amorphous calcifications are
   usually benign and bilateral).
3. Suspicious morphology: the morphology's PPV, its odds multiplied by the distribution's likelihood ratio
   (:func:`.ppv_table.distribution_likelihood_ratio`: Liberman 1998's segmental and linear figures against the
   series' overall rate; 1 for the other distributions). The category is the Atlas range that holds the result,
   except fine linear calcifications in a linear or segmental distribution, which Liberman 1998 found to warrant
   category 5.

Naive combination (morphology and distribution treated as independent evidence) is the simplest model consistent
with the published single-descriptor figures; it is not a validated multivariable model, and the product says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ppv_table import (
    CATEGORY_RANGES,
    DISTRIBUTION_PPV,
    LIBERMAN_OVERALL,
    MORPHOLOGY_PPV,
    category_for_likelihood,
    distribution_likelihood_ratio,
    odds,
)
from .vocabulary import Category, Distribution, Morphology


@dataclass(frozen=True)
class Assessment:
    """A suggested category with its likelihood of malignancy and where the figure comes from.

    Attributes
    ----------
    category : Category
    likelihood : float
        Point likelihood in [0, 1] (for category-range figures the range's middle; use :attr:`figure_text`).
    figure_text : str
        The figure as shown to users, e.g. "PPV about 29%, Bent 2010, BI-RADS Atlas 5th ed.".
    reasoning : str
        Which rule decided.
    """

    category: Category
    likelihood: float
    figure_text: str
    reasoning: str


def _range_assessment(category: Category, reasoning: str) -> Assessment:
    figure = CATEGORY_RANGES[category]
    return Assessment(category, figure.value, figure.text(), reasoning)


def assess(morphology: Morphology, distribution: Distribution | None) -> Assessment:
    """Suggested category and likelihood for a finding of ``morphology`` in ``distribution`` (None: unknown, no
    distribution figure applied)."""
    suspicious_course = distribution in (Distribution.LINEAR, Distribution.SEGMENTAL)
    if not morphology.suspicious:
        if morphology == Morphology.ROUND and distribution == Distribution.GROUPED:
            return _range_assessment(Category.PROBABLY_BENIGN, "a group of round / punctate calcifications")
        if morphology == Morphology.ROUND and suspicious_course:
            return _range_assessment(Category.LOW_SUSPICION, "round / punctate calcifications along a duct")
        return _range_assessment(Category.BENIGN, "typically benign morphology")
    if morphology == Morphology.AMORPHOUS and distribution == Distribution.DIFFUSE:
        return _range_assessment(Category.BENIGN, "diffuse amorphous calcifications")
    figure = MORPHOLOGY_PPV[morphology]
    ratio = 1.0 if distribution is None else distribution_likelihood_ratio(distribution)
    combined = odds(figure.value) * ratio
    likelihood = combined / (1.0 + combined)
    text = figure.text()
    if ratio != 1.0:
        dist_figure = DISTRIBUTION_PPV[distribution]
        text += (
            f"; {distribution.value} distribution {100 * dist_figure.value:.0f}% against "
            f"{100 * LIBERMAN_OVERALL.value:.0f}% overall ({dist_figure.source}): about {100 * likelihood:.0f}%"
        )
    if morphology == Morphology.FINE_LINEAR and suspicious_course:
        return Assessment(Category.HIGHLY_SUGGESTIVE, likelihood, text, "fine linear along a duct (Liberman 1998)")
    return Assessment(category_for_likelihood(likelihood), likelihood, text, "suspicious morphology")
