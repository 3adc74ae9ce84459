"""Agreement of two readers' calcification masks on the same image: Dice and a per-calcification match list.

Tong et al. (Front. Oncol. 2024) had two radiologists annotate each image and sent an image to a senior reader when
the Dice of the two annotations was below 0.95. This module applies that rule and says *which* calcifications
disagree, so the senior reader looks at those first: each connected component (8-connected) of one mask is paired
with one of the other by overlap (largest intersection over union first) or, when they do not overlap, by centroid
distance in mm (a shifted outline of the same speck); what stays unpaired was seen by one reader only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import validate_spacing_mm

_EIGHT_CONNECTED = np.ones((3, 3), bool)


class MatchStatus(str, enum.Enum):
    """How one calcification of the match list compares between reader A and reader B."""

    AGREE = "agree"  # paired, and outlined alike (per-object Dice at or above the threshold)
    OUTLINE_DIFFERS = "outline_differs"  # paired, outlines differ (shifted, larger, smaller)
    ONLY_A = "only_a"  # reader B did not mark it
    ONLY_B = "only_b"  # reader A did not mark it


@dataclass(frozen=True)
class AgreementConfig:
    """Settings of :func:`compare_masks`.

    discrepancy_dice : image Dice below which the pair goes to a senior reader (0.95, Tong et al. 2024).
    object_dice : per-calcification Dice below which a paired calcification is flagged OUTLINE_DIFFERS.
    max_centroid_distance_mm : non-overlapping components closer than this are the same calcification.
    """

    discrepancy_dice: float = 0.95
    object_dice: float = 0.95
    max_centroid_distance_mm: float = 0.5

    def __post_init__(self) -> None:
        distance = self.max_centroid_distance_mm
        if not isinstance(distance, (int, float)) or not np.isfinite(distance) or distance < 0:
            raise InputError(f"The matching distance must be a number of mm >= 0, got {distance!r}.")
        for name in ("discrepancy_dice", "object_dice"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InputError(f"The {name.replace('_', ' ')} threshold must be from 0 to 1, got {value!r}.")


@dataclass(frozen=True)
class ObjectMatch:
    """One row of the match list. Labels are the component numbers in :attr:`AgreementReport.labels_a` / ``_b``
    (0: none); centroids in pixels (row, col), NaN when absent; areas in mm²; ``distance_mm`` between centroids."""

    label_a: int
    label_b: int
    centroid_a_rc: tuple[float, float]
    centroid_b_rc: tuple[float, float]
    area_a_mm2: float
    area_b_mm2: float
    distance_mm: float
    dice: float
    status: MatchStatus

    @property
    def flagged(self) -> bool:
        """True for every disagreement (anything but AGREE)."""
        return self.status is not MatchStatus.AGREE


@dataclass(frozen=True)
class AgreementReport:
    """Result of :func:`compare_masks`: image Dice, the match list and the senior-reader decision."""

    dice: float
    matches: tuple[ObjectMatch, ...]
    labels_a: np.ndarray
    labels_b: np.ndarray
    discrepancy_dice: float

    @property
    def needs_senior_reader(self) -> bool:
        """The paper's rule: Dice below the threshold (0.95) is a discrepancy for a senior reader."""
        return self.dice < self.discrepancy_dice

    @property
    def flagged(self) -> tuple[ObjectMatch, ...]:
        return tuple(match for match in self.matches if match.flagged)

    def columns(self) -> dict[str, list]:
        """The match list as table columns (one row per calcification), for a table node or a CSV file."""
        return {
            "label_a": [m.label_a for m in self.matches],
            "label_b": [m.label_b for m in self.matches],
            "row_a": [m.centroid_a_rc[0] for m in self.matches],
            "col_a": [m.centroid_a_rc[1] for m in self.matches],
            "row_b": [m.centroid_b_rc[0] for m in self.matches],
            "col_b": [m.centroid_b_rc[1] for m in self.matches],
            "area_a_mm2": [m.area_a_mm2 for m in self.matches],
            "area_b_mm2": [m.area_b_mm2 for m in self.matches],
            "distance_mm": [m.distance_mm for m in self.matches],
            "dice": [m.dice for m in self.matches],
            "status": [m.status.value for m in self.matches],
            "flagged": [int(m.flagged) for m in self.matches],
        }


def dice_coefficient(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """2 |A ∩ B| / (|A| + |B|) of two bool masks; 1.0 when both are empty (two readers who agree there is none)."""
    total = int(mask_a.sum()) + int(mask_b.sum())
    return 1.0 if total == 0 else 2.0 * int((mask_a & mask_b).sum()) / total


def _components(mask: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """(labels, count, centroids (count, 2) in pixels, sizes (count,) in pixels)."""
    from scipy import ndimage  # here: `calcification --help` imports this module's AgreementConfig

    labels, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
    index = np.arange(1, count + 1)
    centroids = np.array(ndimage.center_of_mass(mask, labels, index), dtype=float).reshape(count, 2)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    return labels, count, centroids, sizes


def _pairs_by_overlap(labels_a, count_a, labels_b, count_b, sizes_a, sizes_b) -> dict[int, tuple[int, int]]:
    """Component of A -> (component of B, intersection in pixels), one-to-one, largest IoU first."""
    both = (labels_a > 0) & (labels_b > 0)
    codes = labels_a[both].astype(np.int64) * (count_b + 1) + labels_b[both]
    unique, counts = np.unique(codes, return_counts=True)
    a_of, b_of = unique // (count_b + 1), unique % (count_b + 1)
    iou = counts / (sizes_a[a_of - 1] + sizes_b[b_of - 1] - counts)
    pairs, used_b = {}, set()
    for k in np.argsort(-iou, kind="stable"):
        a, b = int(a_of[k]), int(b_of[k])
        if a not in pairs and b not in used_b:
            pairs[a] = (b, int(counts[k]))
            used_b.add(b)
    return pairs


def _pairs_by_distance(free_a, free_b, centroids_a, centroids_b, spacing_mm, max_mm) -> dict[int, int]:
    """Remaining components of A -> of B whose centroids are within ``max_mm``, closest first, one-to-one."""
    if not free_a or not free_b:
        return {}
    scale = np.asarray(spacing_mm, float)
    delta = (centroids_a[np.array(free_a) - 1, None, :] - centroids_b[None, np.array(free_b) - 1, :]) * scale
    distance = np.hypot(delta[..., 0], delta[..., 1])
    pairs, used_b = {}, set()
    for flat in np.argsort(distance, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, distance.shape)
        if distance[i, j] > max_mm:
            break
        if free_a[i] not in pairs and free_b[j] not in used_b:
            pairs[free_a[i]] = free_b[j]
            used_b.add(free_b[j])
    return pairs


def _object_rows(pairs, shared, comps_a, comps_b, spacing_mm, config) -> list[ObjectMatch]:
    """The match list: paired components (A's order), then A only, then B only."""
    (_, count_a, centroids_a, sizes_a), (_, count_b, centroids_b, sizes_b) = comps_a, comps_b
    pixel_mm2, scale, nan = spacing_mm[0] * spacing_mm[1], np.asarray(spacing_mm, float), float("nan")
    rows = []
    for a in sorted(pairs):
        b = pairs[a]
        dice = 2.0 * shared.get((a, b), 0) / (sizes_a[a - 1] + sizes_b[b - 1])
        distance = float(np.hypot(*((centroids_a[a - 1] - centroids_b[b - 1]) * scale)))
        status = MatchStatus.AGREE if dice >= config.object_dice else MatchStatus.OUTLINE_DIFFERS
        rows.append(
            ObjectMatch(
                a,
                b,
                tuple(centroids_a[a - 1]),
                tuple(centroids_b[b - 1]),
                sizes_a[a - 1] * pixel_mm2,
                sizes_b[b - 1] * pixel_mm2,
                distance,
                float(dice),
                status,
            )
        )
    for a in sorted(set(range(1, count_a + 1)) - set(pairs)):
        rows.append(
            ObjectMatch(
                a,
                0,
                tuple(centroids_a[a - 1]),
                (nan, nan),
                sizes_a[a - 1] * pixel_mm2,
                0.0,
                nan,
                0.0,
                MatchStatus.ONLY_A,
            )
        )
    for b in sorted(set(range(1, count_b + 1)) - set(pairs.values())):
        rows.append(
            ObjectMatch(
                0,
                b,
                (nan, nan),
                tuple(centroids_b[b - 1]),
                0.0,
                sizes_b[b - 1] * pixel_mm2,
                nan,
                0.0,
                MatchStatus.ONLY_B,
            )
        )
    return rows


def compare_masks(
    mask_a: np.ndarray, mask_b: np.ndarray, spacing_mm: tuple[float, float], config: AgreementConfig = AgreementConfig()
) -> AgreementReport:
    """Compare two readers' calcification masks of the same image.

    Parameters
    ----------
    mask_a, mask_b : np.ndarray, bool (or non-zero = calcification), shape (rows, cols), the same for both
    spacing_mm : (float, float)
        Pixel spacing (row, column) in mm.
    config : AgreementConfig

    Returns
    -------
    AgreementReport
        Image Dice, and one :class:`ObjectMatch` per calcification (paired ones first, in A's label order, then
        those of A only, then those of B only).

    Raises
    ------
    InputError
        Masks of different shapes or not 2D.
    """
    mask_a, mask_b = np.asarray(mask_a) != 0, np.asarray(mask_b) != 0
    if mask_a.ndim != 2 or mask_a.shape != mask_b.shape:
        raise InputError(
            f"The two segmentations must cover the same 2D image; got shapes {mask_a.shape} and {mask_b.shape}."
        )
    spacing_mm = validate_spacing_mm(spacing_mm)
    comps_a, comps_b = _components(mask_a), _components(mask_b)
    overlap = _pairs_by_overlap(comps_a[0], comps_a[1], comps_b[0], comps_b[1], comps_a[3], comps_b[3])
    pairs = {a: b for a, (b, _) in overlap.items()}
    shared = {(a, b): count for a, (b, count) in overlap.items()}
    free_a = [a for a in range(1, comps_a[1] + 1) if a not in pairs]
    used_b = set(pairs.values())
    free_b = [b for b in range(1, comps_b[1] + 1) if b not in used_b]
    pairs.update(
        _pairs_by_distance(free_a, free_b, comps_a[2], comps_b[2], spacing_mm, config.max_centroid_distance_mm)
    )
    rows = _object_rows(pairs, shared, comps_a, comps_b, spacing_mm, config)
    return AgreementReport(
        dice_coefficient(mask_a, mask_b), tuple(rows), comps_a[0], comps_b[0], config.discrepancy_dice
    )
