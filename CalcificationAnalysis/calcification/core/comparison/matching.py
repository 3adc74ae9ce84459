"""Matching the prior's clusters to the current ones through the registration, and a status for each.

Every prior calcification is mapped onto the current image. A prior and a current cluster are linked by their
calcifications: each member whose nearest calcification of the other exam lies within ``link_mm`` and belongs to
the other cluster adds one to the pair's score (both directions). Clusters are paired one to one by the largest
total score (Hungarian assignment, scipy's ``linear_sum_assignment``). A current cluster left without a partner is
*new* only when fewer than ``min_prior_calcifications`` prior calcifications lie at its place; otherwise the prior
had the same calcifications below the cluster size, and the numbers of those are compared (likely *increased*). The
same holds the other way for *resolved* against *decreased*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from .change_status import ChangeStatus, ChangeThresholds, change_status
from .findings import ExamFindings, GroupNumbers

#: Two calcifications of the two exams within this distance (mm) after registration are taken as the same one:
#: the registration's 95th-percentile error at calcifications (0.2-0.4 mm on the benchmark pairs) plus a
#: calcification's own size and its centroid's shift between segmentations.
LINK_MM = 2.0


@dataclass(frozen=True)
class ClusterChange:
    """One row of the change table.

    Attributes
    ----------
    status : ChangeStatus
    current_cluster_id, prior_cluster_id : int or None
        Cluster numbers in each exam's own analysis (None where the exam has no cluster there).
    current, prior : GroupNumbers or None
        The numbers in each exam, each in its own image's mm; None where the exam has no calcification there.
    current_centre_xy_mm, prior_centre_xy_mm : (float, float)
        Where the cluster is (or would be) on each image, mm; mapped through the registration for the exam that has
        nothing there.
    """

    status: ChangeStatus
    current_cluster_id: int | None
    prior_cluster_id: int | None
    current: GroupNumbers | None
    prior: GroupNumbers | None
    current_centre_xy_mm: tuple[float, float]
    prior_centre_xy_mm: tuple[float, float]

    def difference(self, name: str) -> float:
        """current - prior of ``count``, ``extent_mm`` or ``area_mm2`` (an absent side counts as 0)."""
        after = 0.0 if self.current is None else float(getattr(self.current, name))
        before = 0.0 if self.prior is None else float(getattr(self.prior, name))
        return after - before


def _nearest(points: np.ndarray, targets: np.ndarray, link_mm: float) -> np.ndarray:
    """Index of the nearest ``targets`` row for every ``points`` row, -1 beyond ``link_mm``."""
    if len(points) == 0 or len(targets) == 0:
        return np.full(len(points), -1, dtype=np.int64)
    distance, index = cKDTree(targets).query(points, distance_upper_bound=link_mm)
    return np.where(np.isfinite(distance), index, -1)


def _scores(prior: ExamFindings, current: ExamFindings, mapped: np.ndarray, link_mm: float) -> np.ndarray:
    p_ids, c_ids = prior.cluster_ids, current.cluster_ids
    scores = np.zeros((len(p_ids), len(c_ids)))
    p_index = {c: i for i, c in enumerate(p_ids)}
    c_index = {c: i for i, c in enumerate(c_ids)}
    for source, target, near in (
        (prior.cluster_id, current.cluster_id, _nearest(mapped, current.xy_mm, link_mm)),
        (current.cluster_id, prior.cluster_id, _nearest(current.xy_mm, mapped, link_mm)),
    ):
        forward = source is prior.cluster_id
        for row, hit in enumerate(near):
            if hit < 0 or source[row] <= 0 or target[hit] <= 0:
                continue
            p, c = (source[row], target[hit]) if forward else (target[hit], source[row])
            scores[p_index[int(p)], c_index[int(c)]] += 1
    return scores


def _near_rows(points: np.ndarray, group: np.ndarray, link_mm: float) -> np.ndarray:
    """Rows of ``points`` within ``link_mm`` of any point of ``group``."""
    if len(points) == 0 or len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    hits = cKDTree(group).query_ball_point(points, link_mm)
    return np.array([i for i, h in enumerate(hits) if h], dtype=np.int64)


def compare_findings(
    prior: ExamFindings,
    current: ExamFindings,
    mapping,
    limits: ChangeThresholds | None = None,
    link_mm: float = LINK_MM,
) -> list[ClusterChange]:
    """Match the clusters of two exams and give each a change status.

    Parameters
    ----------
    prior, current : ExamFindings
        Each exam's calcifications in its own image's mm.
    mapping : object with ``prior_to_current(xy)`` and ``current_to_prior(xy)``
        Usually a :class:`~.registration.Registration`; (n, 2) arrays of (x, y) mm in, the same out.
    limits : ChangeThresholds, optional
    link_mm : float
        Distance within which two calcifications are taken as the same, mm.

    Returns
    -------
    list of ClusterChange
        Current clusters in number order, then the prior-only clusters (resolved or decreased) in number order.
    """
    limits = limits or ChangeThresholds()
    mapped = mapping.prior_to_current(prior.xy_mm) if len(prior.xy_mm) else np.zeros((0, 2))
    scores = _scores(prior, current, mapped, link_mm)
    pairs = {}
    if scores.size:
        rows, cols = linear_sum_assignment(-scores)
        kept = [(r, c) for r, c in zip(rows, cols, strict=True) if scores[r, c] > 0]
        pairs = {prior.cluster_ids[r]: current.cluster_ids[c] for r, c in kept}
    partner_of_current = {c: p for p, c in pairs.items()}
    changes = [
        _current_row(c, partner_of_current.get(c), prior, current, mapped, mapping, limits, link_mm)
        for c in current.cluster_ids
    ]
    for p in prior.cluster_ids:
        if p not in pairs:
            changes.append(_prior_row(p, prior, current, mapped, limits, link_mm))
    return changes


def _current_row(c, p, prior, current, mapped, mapping, limits, link_mm) -> ClusterChange:
    rows = current.members(c)
    after = current.numbers(rows)
    if p is not None:
        prior_rows = prior.members(p)
    else:  # the prior's calcifications at this place, clustered or not
        prior_rows = _near_rows(mapped, current.xy_mm[rows], link_mm)
    before = prior.numbers(prior_rows) if len(prior_rows) else None
    status = change_status(before, after, limits)
    prior_centre = before.centre_xy_mm if before else tuple(mapping.current_to_prior([after.centre_xy_mm])[0])
    return ClusterChange(status, c, p, after, before, after.centre_xy_mm, tuple(float(v) for v in prior_centre))


def _prior_row(p, prior, current, mapped, limits, link_mm) -> ClusterChange:
    rows = prior.members(p)
    before = prior.numbers(rows)
    current_rows = _near_rows(current.xy_mm, mapped[rows], link_mm)
    after = current.numbers(current_rows) if len(current_rows) else None
    status = change_status(before, after, limits)
    centre = tuple(float(v) for v in mapped[rows].mean(0))
    if status is ChangeStatus.RESOLVED:
        after = None if after is None or after.count < limits.min_prior_calcifications else after
    return ClusterChange(status, None, p, after, before, centre, before.centre_xy_mm)


def status_counts(changes: list[ClusterChange]) -> dict[str, int]:
    """Number of clusters per status, every status present (0 when none)."""
    return {s.value: sum(1 for c in changes if c.status is s) for s in ChangeStatus}
