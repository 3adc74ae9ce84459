"""What the comparison needs of one exam's analysis: calcification positions and areas, and the clusters they form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import pdist


def extent_mm(points_xy_mm: np.ndarray) -> float:
    """Largest distance between two calcification centres of a group, mm (0 for fewer than two)."""
    points = np.asarray(points_xy_mm, dtype=np.float64).reshape(-1, 2)
    return float(pdist(points).max()) if len(points) > 1 else 0.0


@dataclass(frozen=True)
class GroupNumbers:
    """The per-cluster numbers compared between exams.

    Attributes
    ----------
    count : int
        Calcifications in the group.
    extent_mm : float
        Largest distance between two member centres, mm.
    area_mm2 : float
        Summed calcified area of the members, mm².
    centre_xy_mm : (float, float)
        Mean of the member centres (x, y), mm, in the frame the members were given in.
    """

    count: int
    extent_mm: float
    area_mm2: float
    centre_xy_mm: tuple[float, float]

    @classmethod
    def of(cls, points_xy_mm: np.ndarray, areas_mm2: np.ndarray) -> GroupNumbers:
        points = np.asarray(points_xy_mm, dtype=np.float64).reshape(-1, 2)
        centre = tuple(float(v) for v in points.mean(0)) if len(points) else (float("nan"), float("nan"))
        return cls(len(points), extent_mm(points), float(np.sum(areas_mm2)), centre)


@dataclass(frozen=True, eq=False)
class ExamFindings:
    """One exam's calcifications in mm.

    Attributes
    ----------
    xy_mm : np.ndarray, float64 (n, 2)
        Calcification centroids (x = column direction, y = row direction), mm from the centre of pixel (0, 0).
    area_mm2 : np.ndarray, float64 (n,)
    cluster_id : np.ndarray, int32 (n,)
        Cluster of each calcification (1..k), -1 outside clusters.
    spacing_mm : (float, float)
        Pixel spacing (row, column) of the image, mm.
    """

    xy_mm: np.ndarray
    area_mm2: np.ndarray
    cluster_id: np.ndarray
    spacing_mm: tuple[float, float]

    @property
    def cluster_ids(self) -> list[int]:
        return sorted(int(c) for c in np.unique(self.cluster_id) if c > 0)

    def members(self, cluster_id: int) -> np.ndarray:
        """Row indices of the calcifications of ``cluster_id``."""
        return np.flatnonzero(self.cluster_id == cluster_id)

    def numbers(self, rows: np.ndarray, xy_mm: np.ndarray | None = None) -> GroupNumbers:
        """Numbers of the calcifications ``rows`` (positions from ``xy_mm`` when given, e.g. mapped ones)."""
        points = self.xy_mm if xy_mm is None else xy_mm
        return GroupNumbers.of(points[rows], self.area_mm2[rows])


def findings_from_analysis(analysis) -> ExamFindings:
    """The :class:`ExamFindings` of an :class:`~calcification.core.analysis.image_analysis.ImageAnalysis`."""
    m = analysis.measurements
    xy = np.stack([np.asarray(m.centroid_x_mm, np.float64), np.asarray(m.centroid_y_mm, np.float64)], axis=1)
    return ExamFindings(
        xy.reshape(-1, 2),
        np.asarray(m.area_mm2, np.float64),
        np.asarray(m.cluster_id, np.int32),
        tuple(analysis.spacing_mm),
    )
