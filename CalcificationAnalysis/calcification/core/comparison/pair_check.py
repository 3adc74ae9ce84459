"""Are two mammograms a prior and a current exam of one breast and view? Checked from the DICOM tags.

Patient ID, laterality and view must agree and the prior's Study Date must come before the current's. What a file
does not carry cannot be checked: laterality and view are needed on both (a comparison of a left breast with a
right one, or a CC with an MLO view, would call every cluster new or resolved), so files without them are refused
unless the user confirms the pair with ``--force-pair`` (``force=True``). Patient ID and Study Date are compared
when both files carry them.
"""

from __future__ import annotations

from ..errors import InputError
from ..image import Laterality, Mammogram, View


def _known(value) -> bool:
    return value not in (Laterality.UNKNOWN, View.UNKNOWN, None, "")


def check_exam_pair(prior: Mammogram, current: Mammogram, force: bool = False) -> None:
    """Raise :class:`InputError` (one line saying what differs) unless ``prior`` and ``current`` are a pair.

    Parameters
    ----------
    prior, current : Mammogram
        The exams; tags are read from ``laterality``, ``view`` and ``metadata`` (``patient_id``, ``study_date``
        as YYYYMMDD).
    force : bool
        Skip every check (the user vouches for the pair).
    """
    if force:
        return
    for what, a, b in (
        ("breast (laterality)", prior.laterality, current.laterality),
        ("view", prior.view, current.view),
    ):
        if not (_known(a) and _known(b)):
            raise InputError(
                f"Cannot check that both images show the same {what}: a file carries no such tag. "
                "Give --force-pair if you know they are the same breast and view."
            )
        if a != b:
            raise InputError(
                f"The prior and current images show different {what}s (prior {a.value}, current {b.value}); "
                "compare exams of one breast and view."
            )
    prior_id, current_id = (m.metadata.get("patient_id", "") for m in (prior, current))
    if prior_id and current_id and prior_id != current_id:
        raise InputError("The prior and current images belong to different patients (Patient ID differs).")
    prior_date, current_date = (str(m.metadata.get("study_date", "") or "") for m in (prior, current))
    if prior_date and current_date and prior_date >= current_date:
        raise InputError(
            f"The prior exam is dated {prior_date}, not before the current one ({current_date}): give the earlier "
            "exam first (PRIOR CURRENT)."
        )
