"""Breast-level probability from the CC and MLO views of one breast (Lin et al. 2023, breast-level aggregation over
CC and MLO views).

The classifier judges one image at a time; a radiologist decides per breast. The rule, with the views' calls made at
``threshold`` (probability >= threshold counts as malignant):

============================  ==========================================  =================================
CC and MLO calls              breast probability                          why
============================  ==========================================  =================================
agree (both >= or both <)     the higher of the two (maximum)             both views support the same call;
                                                                          the more suspicious view leads
disagree                      the probability of the view called          a calcification seen as malignant
                              malignant (breast called malignant)         on one view is not dismissed
one view only                 that view's probability, with a note        nothing to combine
============================  ==========================================  =================================

With disagreeing views the malignant view's probability is also the higher one, so the breast probability is always
the maximum of the views; the rule matters for the call and for the note that tells the radiologist why.

Reference: Lin et al. 2023, breast-level aggregation over CC and MLO views.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from typing import Optional

from ..errors import InputError

DEFAULT_THRESHOLD = 0.5

#: Side and view words at the end of a Patient ID. Some archives put them there, e.g. CBIS-DDSM's
#: 'Mass-Test_P_00173_LEFT_CC', which gives each view of one woman a different Patient ID.
_SIDE_OR_VIEW = r"(?:LEFT|RIGHT|CC|MLO|ML|LM|XCCL)"
_SIDE_AND_VIEW_SUFFIX = re.compile(rf"(?:[_\- ]{_SIDE_OR_VIEW})+$", re.IGNORECASE)
_SIDE_OR_VIEW_ONLY = re.compile(_SIDE_OR_VIEW, re.IGNORECASE)


class CombinationRule(str, enum.Enum):
    """Which branch of the rule produced a breast probability."""

    VIEWS_AGREE_MAXIMUM = "views_agree_maximum"
    VIEWS_DISAGREE_MALIGNANT_VIEW = "views_disagree_malignant_view"
    SINGLE_VIEW = "single_view"


@dataclass(frozen=True)
class BreastResult:
    """Breast-level probability in [0, 1], its call at ``threshold``, the rule applied and a note for the user.

    ``cc_probability`` / ``mlo_probability`` are the inputs (None for a missing view).
    """

    probability: float
    malignant: bool
    rule: CombinationRule
    note: str
    threshold: float
    cc_probability: Optional[float]
    mlo_probability: Optional[float]


def breast_patient_id(patient_id: str) -> str:
    """The patient part of a DICOM Patient ID, for grouping the views of one breast.

    Trailing side and view words are removed ('Mass-Test_P_00173_LEFT_CC' and 'Mass-Test_P_00173_LEFT_MLO' both
    give 'Mass-Test_P_00173'); any other ID is returned unchanged (surrounding spaces removed). An ID that is
    nothing but such words is kept whole rather than emptied.
    """
    text = str(patient_id or "").strip()
    stripped = _SIDE_AND_VIEW_SUFFIX.sub("", text)
    return stripped if stripped and not _SIDE_OR_VIEW_ONLY.fullmatch(stripped) else text


def _checked(value: Optional[float], view: str) -> Optional[float]:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"The {view} probability must be a number, got {value!r}.") from None
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise InputError(f"The {view} probability must lie in [0, 1], got {value!r}.")
    return number


def combine_views(
    cc_probability: Optional[float], mlo_probability: Optional[float], threshold: float = DEFAULT_THRESHOLD
) -> BreastResult:
    """Combine the per-view malignancy probabilities of one breast (Lin et al. 2023; rule in the module docstring).

    Parameters
    ----------
    cc_probability, mlo_probability : float in [0, 1] or None
        Probability of the craniocaudal and mediolateral-oblique image; None when that view is missing.
    threshold : float in (0, 1)
        A view, and the breast, is called malignant at probability >= threshold.

    Returns
    -------
    BreastResult

    Raises
    ------
    InputError
        Both views missing, a probability outside [0, 1] or NaN, or a threshold outside (0, 1).
    """
    cc, mlo = _checked(cc_probability, "CC"), _checked(mlo_probability, "MLO")
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"The threshold must be a number, got {threshold!r}.") from None
    if not 0.0 < threshold < 1.0:
        raise InputError(f"The threshold must lie strictly between 0 and 1, got {threshold}.")
    if cc is None and mlo is None:
        raise InputError("A breast-level result needs the probability of at least one view (CC or MLO).")
    if cc is None or mlo is None:
        present, missing = ("MLO", "CC") if cc is None else ("CC", "MLO")
        probability = mlo if cc is None else cc
        rule = CombinationRule.SINGLE_VIEW
        note = f"Only the {present} view was available; the {missing} view is missing, so nothing was combined."
    elif (cc >= threshold) == (mlo >= threshold):
        probability, rule = max(cc, mlo), CombinationRule.VIEWS_AGREE_MAXIMUM
        note = f"CC and MLO agree at threshold {threshold:g}; the higher probability is used."
    else:
        malignant_view, probability = ("CC", cc) if cc >= threshold else ("MLO", mlo)
        rule = CombinationRule.VIEWS_DISAGREE_MALIGNANT_VIEW
        note = (
            f"CC and MLO disagree at threshold {threshold:g}; the breast follows the {malignant_view} view, "
            "which is called malignant."
        )
    return BreastResult(probability, probability >= threshold, rule, note, threshold, cc, mlo)
