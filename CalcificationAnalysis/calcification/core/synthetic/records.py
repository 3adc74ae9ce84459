"""Ground-truth records of a synthetic case: what was drawn where, as plain dataclasses that serialise to JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from ..image import Mammogram
from .config import CaseLabel, Distribution, Morphology


@dataclass(frozen=True)
class CalcificationRecord:
    """One drawn calcification (one instance of the label map).

    Attributes
    ----------
    instance_id : int
        Its value in the instance label map (1, 2, ...).
    cluster_id : int
        Index of its cluster in :attr:`CaseRecord.clusters`.
    morphology : Morphology
    center_rc : (int, int)
        Pixel (row, column) of its centre; always inside its mask.
    size_mm : float
        Nominal size: diameter of the smallest circle around the centre that holds the solid.
    area_mm2 : float
        Area of the continuous projected outline (4x supersampled), for checking the pixel mask.
    n_pixels : int
        Pixels of the mask (its area is ``n_pixels * spacing^2``).
    density : float
        Relative calcium density in (0, 1].
    """

    instance_id: int
    cluster_id: int
    morphology: Morphology
    center_rc: tuple[int, int]
    size_mm: float
    area_mm2: float
    n_pixels: int
    density: float


@dataclass(frozen=True)
class ClusterRecord:
    """One group of calcifications sharing a morphology and a distribution.

    ``outline_rc`` is a closed polygon (row, column pixel coordinates, convex hull of the members plus 0.5 mm).
    ``suspicious`` says whether the group was drawn from the malignant pool (see :mod:`.case_generator`).
    """

    cluster_id: int
    morphology: Morphology
    distribution: Distribution
    suspicious: bool
    instance_ids: tuple[int, ...]
    center_rc: tuple[float, float]
    outline_rc: tuple[tuple[float, float], ...]

    @property
    def n_calcifications(self) -> int:
        return len(self.instance_ids)


@dataclass(frozen=True)
class CaseRecord:
    """Everything known about a synthetic case; ``to_json`` writes it with enums as their values."""

    case_id: str
    patient_id: str
    seed: int
    index: int
    label: CaseLabel
    density: str
    view: str
    laterality: str
    spacing_mm: float
    shape: tuple[int, int]
    crop: bool
    class_overlap: float
    thickness_mm: float
    source: str = "synthetic"
    clusters: tuple[ClusterRecord, ...] = field(default_factory=tuple)
    calcifications: tuple[CalcificationRecord, ...] = field(default_factory=tuple)

    @property
    def n_calcifications(self) -> int:
        return len(self.calcifications)

    @property
    def n_clusters(self) -> int:
        return len(self.clusters)

    def to_dict(self) -> dict:
        """A JSON-ready dict (enums as strings, tuples as lists), with the counts added."""
        data = json.loads(json.dumps(asdict(self), default=lambda o: getattr(o, "value", str(o))))
        data["n_calcifications"], data["n_clusters"] = self.n_calcifications, self.n_clusters
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


@dataclass(frozen=True)
class SyntheticCase:
    """A synthetic mammogram with its exact ground truth.

    Attributes
    ----------
    mammogram : Mammogram
        float32 pixels in [0, 4095] (MONOCHROME2, 12-bit range) with spacing, view and laterality.
    mask : np.ndarray, bool, (rows, columns)
        True on calcification pixels.
    instances : np.ndarray, int32, (rows, columns)
        0 on background, ``instance_id`` on each calcification; ``mask == (instances > 0)``.
    breast_mask : np.ndarray, bool, (rows, columns)
        Pixels inside the breast.
    record : CaseRecord
    """

    mammogram: Mammogram
    mask: np.ndarray
    instances: np.ndarray
    breast_mask: np.ndarray
    record: CaseRecord
