"""Which judgement an image's report, panel and SR lead with: the one owner of that rule.

The descriptor-based assessment (BI-RADS words and published PPVs, :mod:`calcification.core.birads`) is the
headline, unless the active classifier's card says it was trained on real images: a probability learned from
synthetic mammograms alone separated suspicious from benign real images no better than chance (issue 30), so it is
shown only on a secondary line marked synthetic-trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..birads import DESCRIPTOR_NOTE, ImageDescription
from .malignancy import MalignancyResult

#: Label of a probability that comes from a classifier trained on synthetic images only.
SYNTHETIC_TRAINED_LABEL = "Synthetic-trained classifier (not validated on real patients)"


@dataclass(frozen=True)
class Headline:
    """The lines an image's result is announced with.

    Attributes
    ----------
    primary : str
        The headline sentence.
    secondary : str
        The other judgement on a second line ("" when there is none).
    descriptor_first : bool
        True when the descriptor-based assessment leads (the classifier, if any, was trained on synthetic data).
    note : str
        What the headline rests on.
    """

    primary: str
    secondary: str
    descriptor_first: bool
    note: str


def classifier_line(malignancy: MalignancyResult) -> str:
    """The classifier's probability in words, marked synthetic-trained when its card says so."""
    label = SYNTHETIC_TRAINED_LABEL if malignancy.card.synthetic_training else "Classifier trained on real images"
    return f"{label}: probability of malignancy {100 * malignancy.probability:.0f}% ({malignancy.classifier_name})"


def choose_headline(description: Optional[ImageDescription], malignancy: Optional[MalignancyResult]) -> Headline:
    """The headline rule (module docstring) applied to one image's description and classifier result."""
    descriptor = description.headline() if description is not None else "No BI-RADS description was made."
    if malignancy is not None and not malignancy.card.synthetic_training:
        return Headline(classifier_line(malignancy), descriptor, False, malignancy.classifier_summary())
    secondary = "" if malignancy is None else classifier_line(malignancy)
    return Headline(descriptor, secondary, True, DESCRIPTOR_NOTE)
