"""Hessian-DoG candidates of one mammogram on the working grid, with their features: the first stage of the
candidate method, shared by segmentation and by building the filter's training table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..detection.hdog import CandidateDetection, HDoGConfig, detect_candidates
from ..image import Mammogram
from ..masking.breast_mask import compute_breast_mask
from ..preprocessing.normalisation import normalise_to_unit
from ..progress import ProgressCallback, report_progress, sub_progress
from .candidate_features import candidate_features
from .working_grid import WORKING_SPACING_MM, check_spacing, to_working_grid, working_shape

#: Candidate settings: the published Hessian-DoG with a permissive noise-adaptive threshold of 3 robust noise
#: standard deviations, so the first stage keeps nearly every visible calcification and the filter removes the rest
#: (at 5, the segmentation setting of the plain detector, faint real calcifications are lost before the filter).
CANDIDATE_CONFIG = HDoGConfig(min_noise_ratio=3.0)


@dataclass(frozen=True)
class WorkingCandidates:
    """Candidates of one image. ``image01`` and ``breast`` are on the working grid (``working_spacing_mm``), as are
    the candidates' rows/cols and ``detection.labels``; ``breast_input`` is the breast on the input grid;
    ``features`` has one row per candidate (:data:`FEATURE_NAMES`)."""

    image01: np.ndarray
    breast: np.ndarray
    breast_input: np.ndarray
    detection: CandidateDetection
    features: np.ndarray
    input_shape: tuple[int, int]
    input_spacing_mm: tuple[float, float]
    working_spacing_mm: float
    chest_wall_side: object = None

    def centroids_on_input_grid(self) -> np.ndarray:
        """(n, 2) candidate centroids (row, col) in input-grid pixels."""
        scale = [self.working_spacing_mm / s for s in self.input_spacing_mm]
        points = np.array([(c.row, c.col) for c in self.detection.candidates], float).reshape(-1, 2)
        return (points + 0.5) * scale - 0.5


def find_candidates(
    mammogram: Mammogram, breast: np.ndarray | None = None, progress: ProgressCallback = None
) -> WorkingCandidates:
    """Breast mask, resampling to the working grid, Hessian-DoG candidates and their features.

    Parameters
    ----------
    mammogram : Mammogram
        Pixel spacing between 0.04 and 0.25 mm (:data:`SUPPORTED_SPACING_MM`).
    breast : np.ndarray of bool, optional
        The region to search on the input grid; the product's breast mask (pectoral muscle excluded) when None.
    progress : callable, optional

    Raises
    ------
    InputError
        Pixel spacing outside the supported range, or a flat breast region.
    """
    check_spacing(mammogram.spacing_mm)
    chest_wall = None
    if breast is None:
        report_progress(progress, 0.0, "Finding the breast")
        found = compute_breast_mask(mammogram.pixels, mammogram.spacing_mm, mammogram.view)
        breast, chest_wall = found.analysable, found.chest_wall_side
    report_progress(progress, 0.15, "Resampling to the working grid")
    shape = working_shape(mammogram.shape, mammogram.spacing_mm)
    pixels = to_working_grid(mammogram.pixels, shape, order=1)
    region = to_working_grid(breast.astype(np.uint8), shape, order=0).astype(bool)
    image01 = normalise_to_unit(pixels, region)
    spacing = (WORKING_SPACING_MM, WORKING_SPACING_MM)
    detection = detect_candidates(image01, spacing, region, CANDIDATE_CONFIG, sub_progress(progress, 0.2, 0.85))
    report_progress(progress, 0.85, f"Measuring {len(detection.candidates)} candidates")
    features = candidate_features(image01, WORKING_SPACING_MM, region, detection.candidates)
    return WorkingCandidates(
        image01,
        region,
        np.asarray(breast, bool),
        detection,
        features,
        mammogram.shape,
        mammogram.spacing_mm,
        WORKING_SPACING_MM,
        chest_wall,
    )
