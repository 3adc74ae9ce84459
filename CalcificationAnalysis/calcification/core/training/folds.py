"""Patient-grouped k-fold splits: every image of one patient (both views, both breasts) lands in the same fold, so no
validation score is inflated by the network having seen the same breast in training (Tong et al. 2024 use 5 folds)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError


def grouped_folds(patient_ids: Sequence[str], folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split case indices into ``folds`` (train, validation) pairs with no patient on both sides.

    Patients are shuffled with ``seed`` and dealt to folds largest-first onto the fold with the fewest cases, so the
    folds stay balanced in case count even when patients have different numbers of images.

    Parameters
    ----------
    patient_ids : sequence of str
        Patient identifier of each case, in case order.
    folds : int
        Number of folds, at least 2 and at most the number of distinct patients.
    seed : int
        Shuffling seed; the same ids and seed give the same split.

    Returns
    -------
    list of (train_indices, validation_indices)
        int64 arrays of case indices, sorted; fold k validates on the k-th group of patients.

    Raises
    ------
    InputError
        Fewer than two folds or fewer patients than folds.
    """
    ids = [str(p) for p in patient_ids]
    patients = sorted(set(ids))
    if folds < 2:
        raise InputError(f"Cross-validation needs at least 2 folds, got {folds}.")
    if len(patients) < folds:
        raise InputError(
            f"{folds} folds need at least {folds} different patients; the data have {len(patients)}. "
            "Use fewer folds or add cases."
        )
    order = np.random.default_rng(seed).permutation(len(patients))
    cases_of = {p: [i for i, q in enumerate(ids) if q == p] for p in patients}
    shuffled = sorted((patients[k] for k in order), key=lambda p: -len(cases_of[p]))  # stable: ties keep shuffle
    members: list[list[int]] = [[] for _ in range(folds)]
    for patient in shuffled:
        smallest = min(range(folds), key=lambda k: len(members[k]))
        members[smallest].extend(cases_of[patient])
    everything = np.arange(len(ids))
    splits = []
    for k in range(folds):
        validation = np.array(sorted(members[k]), dtype=np.int64)
        splits.append((np.setdiff1d(everything, validation), validation))
    return splits


def check_fold_count(folds) -> int:
    """``folds`` if it is a whole number of at least 1 (1: one network), else :class:`InputError`."""
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        raise InputError(f"--folds must be a whole number of at least 1 (1 trains one network), got {folds!r}.")
    return folds
