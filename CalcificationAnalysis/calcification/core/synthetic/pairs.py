"""Prior/current exam pairs with known truth: the same breast, a known deformation and acquisition change, and
calcification clusters that are new, increased, stable or resolved.

Groups are placed once on the current geometry and each is given a status. Calcification contrast is additive
(:meth:`Canvas.paint`), so the two exams are drawn from the same breast with different members: *stable* clusters
appear whole in both, *increased* ones keep only the members nearest their centre in the prior (half, rounded up),
*new* ones appear in the current exam only and *resolved* ones in the prior only. The prior drawing is then warped
into the prior's own grid by the known transform (:mod:`.pair_geometry`) and acquired with another dose and
presentation curve (synthetic breasts) or another tone curve (real backgrounds, e.g. a DDSM view).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import Mammogram
from .config import SynthesisConfig
from .pair_clusters import PAIR_MORPHOLOGIES, cluster_anchors, place_compact_cluster
from .pair_geometry import PairChangeSettings, draw_prior_transform, invert_points, resample_to_prior
from .pair_rendering import PairScene, RecordingCanvas, acquire_prior, real_scene, synthetic_scene


class TruthStatus(str, enum.Enum):
    """Status a synthetic cluster was drawn with (the comparison's statuses minus 'decreased')."""

    NEW = "new"
    INCREASED = "increased"
    STABLE = "stable"
    RESOLVED = "resolved"


#: Members drawn per cluster status (inclusive ranges); an increased cluster keeps half of them in the prior.
MEMBER_COUNTS = {
    TruthStatus.NEW: (7, 14),
    TruthStatus.INCREASED: (14, 22),
    TruthStatus.STABLE: (8, 16),
    TruthStatus.RESOLVED: (7, 14),
}


@dataclass(frozen=True)
class PairClusterTruth:
    """One drawn cluster: its status, members in each exam and centres (x, y in mm) in each exam's own frame."""

    cluster_id: int
    status: TruthStatus
    morphology: str
    current_ids: tuple[int, ...]
    prior_ids: tuple[int, ...]
    current_centre_mm: tuple[float, float]
    prior_centre_mm: tuple[float, float]


@dataclass(frozen=True, eq=False)
class SyntheticPair:
    """A prior/current pair and its truth.

    Attributes
    ----------
    current, prior : Mammogram
        The two exams (float32, MONOCHROME2, each with its own spacing; prior dated before current).
    current_instances, prior_instances : np.ndarray, int32
        Instance maps of each exam's calcifications (one id per drawn calcification, shared by both exams).
    current_breast, prior_breast : np.ndarray, bool
        Breast masks.
    clusters : tuple of PairClusterTruth
    calcification_current_mm, calcification_prior_mm : np.ndarray, float64 (n, 2)
        Every drawn calcification's centre in each frame (x, y mm), row i for instance id i + 1; a calcification
        present in one exam only still has its true position in the other (where the tissue it sits in went).
    transform : SimpleITK.Transform
        The true prior mm -> current mm mapping.
    """

    current: Mammogram
    prior: Mammogram
    current_instances: np.ndarray
    prior_instances: np.ndarray
    current_breast: np.ndarray
    prior_breast: np.ndarray
    clusters: tuple[PairClusterTruth, ...]
    calcification_current_mm: np.ndarray
    calcification_prior_mm: np.ndarray
    transform: object

    def to_dict(self) -> dict:
        """JSON-ready truth (no pixels)."""
        return {
            "current_spacing_mm": self.current.spacing_mm[0],
            "prior_spacing_mm": self.prior.spacing_mm[0],
            "clusters": [
                {**dataclasses.asdict(c), "status": c.status.value, "current_ids": list(c.current_ids)}
                for c in self.clusters
            ],
            "calcification_current_mm": np.round(self.calcification_current_mm, 4).tolist(),
            "calcification_prior_mm": np.round(self.calcification_prior_mm, 4).tolist(),
        }


def _statuses(n: int, no_change: bool, rng: np.random.Generator) -> list[TruthStatus]:
    if no_change:
        return [TruthStatus.STABLE] * n
    cycle = list(TruthStatus)
    start = int(rng.integers(len(cycle)))
    return [cycle[(start + i) % len(cycle)] for i in range(n)]


def _prior_members(status: TruthStatus, ids: tuple[int, ...], centres: np.ndarray) -> tuple[int, ...]:
    if status is TruthStatus.NEW:
        return ()
    if status is not TruthStatus.INCREASED:
        return ids
    order = np.argsort(np.hypot(*(centres - centres.mean(0)).T), kind="stable")
    keep = (len(ids) + 1) // 2
    return tuple(sorted(ids[i] for i in order[:keep]))


def _cluster_truths(groups, statuses, centres_rc: np.ndarray, spacing: float, prior_mm: np.ndarray):
    """Truth of each drawn group: (cluster id, morphology, member ids) with its status."""
    truths = []
    for (cluster_id, morphology, ids), status in zip(groups, statuses, strict=True):
        rows = centres_rc[np.array(ids) - 1]
        prior_ids = _prior_members(status, ids, rows)
        current_ids = () if status is TruthStatus.RESOLVED else ids
        shown_current = np.array(current_ids or ids) - 1
        shown_prior = np.array(prior_ids or ids) - 1
        current_centre = centres_rc[shown_current][:, ::-1].mean(0) * spacing
        truths.append(
            PairClusterTruth(
                cluster_id,
                status,
                morphology.value,
                tuple(current_ids),
                tuple(prior_ids),
                tuple(round(float(v), 3) for v in current_centre),
                tuple(round(float(v), 3) for v in prior_mm[shown_prior].mean(0)),
            )
        )
    return tuple(truths)


def _place_clusters(canvas, scene, statuses, rng) -> tuple[list, list]:
    """Compact clusters at separate anchors; returns the groups (id, morphology, ids) and the statuses kept."""
    placement = scene.placement
    anchors = cluster_anchors(placement.placement_low, placement.factor, scene.spacing_mm, len(statuses), rng)
    groups, kept = [], []
    for anchor, status in zip(anchors, statuses, strict=False):
        morphology = PAIR_MORPHOLOGIES[int(rng.integers(len(PAIR_MORPHOLOGIES)))]
        low, high = MEMBER_COUNTS[status]
        first_id = 1 + sum(len(g[2]) for g in groups)
        ids = place_compact_cluster(canvas, anchor, int(rng.integers(low, high + 1)), morphology, rng, first_id)
        if len(ids) >= 6:
            groups.append((len(groups), morphology, tuple(ids)))
            kept.append(status)
        else:  # no room here: give the claimed pixels back
            canvas.instances[np.isin(canvas.instances, ids)] = 0
            for instance_id in ids:
                canvas.painted.pop(instance_id, None)
    return groups, kept


def generate_pair(
    config: SynthesisConfig | None = None,
    seed: int = 0,
    index: int = 0,
    no_change: bool = False,
    background: Mammogram | None = None,
    change: PairChangeSettings | None = None,
) -> SyntheticPair:
    """Make prior/current pair number ``index`` of the series ``seed``; the same arguments give the same pair.

    Parameters
    ----------
    config : SynthesisConfig, optional
        Size, spacing, density and view of synthetic breasts (ignored for the size and spacing of ``background``).
    seed, index : int
        Seed the pair's generator from (seed, index) only.
    no_change : bool
        All clusters stable (the repeat-measurement and 'no new on a pair with no change' checks); otherwise four
        clusters, one of each status (new, increased, stable, resolved) where the breast has room.
    background : Mammogram, optional
        A real view (square pixels) to use as the breast instead of a synthetic one.
    change : PairChangeSettings, optional
        Ranges of the deformation and acquisition change.

    Returns
    -------
    SyntheticPair

    Raises
    ------
    InputError
        Negative seed or index, a background with non-square pixels, or no room for any cluster.
    """
    from .case_generator import _case_rng

    config = config or SynthesisConfig()
    change = change or PairChangeSettings()
    rng = _case_rng(seed, index)
    if background is not None:
        if abs(background.spacing_mm[0] - background.spacing_mm[1]) > 0.01 * background.spacing_mm[0]:
            raise InputError("A pair background needs square pixels.")
        config = dataclasses.replace(config, shape=background.shape, spacing_mm=background.spacing_mm[0], crop=False)
        scene = real_scene(background, config)
    else:
        scene = synthetic_scene(config, rng, f"pair{seed}-{index:05d}")
    canvas = RecordingCanvas(
        scene.signal.copy(),
        np.zeros(scene.signal.shape, np.int32),
        scene.placement.breast_mask,
        scene.contrast,
        scene.spacing_mm,
        config.imaging.blur_sigma_mm / scene.spacing_mm,
    )
    statuses = _statuses(int(rng.integers(2, 4)) if no_change else 4, no_change, rng)
    groups, statuses = _place_clusters(canvas, scene, statuses, rng)
    if not groups:
        raise InputError("The breast has no room for a calcification cluster; use a larger image.")
    return _draw_pair(scene, canvas, groups, statuses, config, change, rng)


def _keep_small_calcifications(instances: np.ndarray, ids, prior_mm: np.ndarray, spacing_mm: float) -> None:
    """A calcification of one or two pixels can fall between the prior's pixel centres in the nearest-neighbour
    resampling; its true centre pixel is labelled then, so the truth mask holds every calcification drawn."""
    present = set(np.unique(instances).tolist())
    for instance_id in ids:
        if instance_id in present:
            continue
        col, row = (int(round(v / spacing_mm)) for v in prior_mm[instance_id - 1])
        if 0 <= row < instances.shape[0] and 0 <= col < instances.shape[1] and instances[row, col] == 0:
            instances[row, col] = instance_id


def _draw_pair(scene: PairScene, canvas, groups, statuses, config, change, rng) -> SyntheticPair:
    """Draw both exams from the placed groups and gather the truth."""
    from .pair_rendering import acquire_current

    spacing = scene.spacing_mm
    n = sum(len(ids) for _, _, ids in groups)
    centres_rc = np.array([canvas.painted[i][1] for i in range(1, n + 1)], dtype=np.float64)
    extent = (scene.signal.shape[1] * spacing, scene.signal.shape[0] * spacing)
    transform, affine = draw_prior_transform(rng, extent, change)
    current_mm = centres_rc[:, ::-1] * spacing
    prior_mm = invert_points(transform, affine, current_mm)
    truths = _cluster_truths(groups, statuses, centres_rc, spacing, prior_mm)
    current_ids = sorted(i for t in truths for i in t.current_ids)
    prior_ids = sorted(i for t in truths for i in t.prior_ids)
    prior_spacing = round(spacing * float(rng.uniform(*change.prior_spacing_factor)), 4)

    def only(ids):
        return np.where(np.isin(canvas.instances, ids), canvas.instances, 0).astype(np.int32)

    current = acquire_current(scene, canvas.draw(scene.signal, current_ids), config, rng)
    warped = resample_to_prior(canvas.draw(scene.signal, prior_ids), spacing, prior_spacing, transform)
    prior = acquire_prior(scene, warped, prior_spacing, config, change, rng)
    prior_instances = resample_to_prior(only(prior_ids), spacing, prior_spacing, transform, nearest=True)
    _keep_small_calcifications(prior_instances, prior_ids, prior_mm, prior_spacing)
    prior_breast = resample_to_prior(scene.breast.astype(np.uint8), spacing, prior_spacing, transform, nearest=True)
    meta = {"synthetic": True, "pair_truth": True}
    return SyntheticPair(
        Mammogram(current, (spacing,) * 2, scene.laterality, scene.view, bit_depth=12, metadata=dict(meta)),
        Mammogram(prior, (prior_spacing,) * 2, scene.laterality, scene.view, bit_depth=12, metadata=dict(meta)),
        only(current_ids),
        prior_instances.astype(np.int32),
        scene.breast.copy(),
        prior_breast > 0,
        truths,
        current_mm,
        prior_mm,
        transform,
    )
