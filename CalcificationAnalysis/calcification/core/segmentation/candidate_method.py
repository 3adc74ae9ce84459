"""Calcification segmentation by Hessian-DoG candidates judged by a learned false-positive filter (Marasinou et al.
2023's two stages): candidates on the working grid (:mod:`..candidates.candidate_detection`), each one's
calcification probability from the filter, the ones at or above the threshold kept, their outlines mapped back to
the input's pixels. Works at any input pixel size from 0.04 to 0.25 mm (one fixed working grid)."""

from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
from scipy import ndimage

from ..candidates.candidate_detection import find_candidates
from ..candidates.candidate_filter import CandidateFilter, load_filter
from ..candidates.working_grid import labels_to_input_grid
from ..image import Mammogram
from ..progress import ProgressCallback, report_progress, sub_progress
from .result import CalcificationSegmentation, renumber_labels
from .segmenter_choice import SegmenterChoice

_LOADED: dict = {}  # folder -> CandidateFilter: a batch of images loads and verifies the filter once


def load_filter_cached(source: Union[str, Path, None] = None) -> CandidateFilter:
    """The verified filter for ``source`` (name or folder; the shipped default when None), loaded once per process."""
    from ..candidates.candidate_filter import resolve_filter_folder

    key = str(resolve_filter_folder(source).resolve())
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_filter(key)
    return _LOADED[key]


def segment_with_candidates(
    mammogram: Mammogram, choice: SegmenterChoice, progress: ProgressCallback = None
) -> CalcificationSegmentation:
    """Segment calcifications of ``mammogram`` with Hessian-DoG candidates and a learned filter.

    Parameters
    ----------
    mammogram : Mammogram
        Pixel spacing 0.04-0.25 mm.
    choice : SegmenterChoice
        ``model``: filter name (shipped in ``calcification/models``) or folder, the shipped default when None;
        ``threshold``: probability in (0, 1), the filter card's when None.
    progress : callable, optional
        ``progress(fraction, message) -> bool``; False cancels.

    Returns
    -------
    CalcificationSegmentation
        ``objects`` are :class:`~calcification.core.inference.segmenter.DetectedObject` records (area, centroid,
        filter probability); ``details`` holds ``probability`` (float32 map, each kept or rejected candidate's
        outline filled with its probability), ``model_name``, ``threshold``, ``synthetic_training`` and
        ``candidates`` (how many the first stage found).
    """
    from ..inference.segmenter import DetectedObject

    report_progress(progress, 0.0, "Loading the candidate filter")
    loaded = load_filter_cached(choice.model)
    threshold = loaded.card.threshold if choice.threshold is None else float(choice.threshold)
    found = find_candidates(mammogram, progress=sub_progress(progress, 0.02, 0.9))
    report_progress(progress, 0.9, "Judging candidates")
    points_mm = np.array([(c.y_mm, c.x_mm) for c in found.detection.candidates], float).reshape(-1, 2)
    probability = loaded.probability(found.features, points_mm)
    keep = probability >= threshold
    centroids = found.centroids_on_input_grid()
    labels = labels_to_input_grid(renumber_labels(found.detection.labels, keep), centroids[keep], mammogram.shape)
    score = np.concatenate([[0.0], probability]).astype(np.float32)
    probability_map = labels_to_input_grid(found.detection.labels, centroids, mammogram.shape)
    probability_map = score[probability_map]
    count = int(keep.sum())
    pixel_area = mammogram.spacing_mm[0] * mammogram.spacing_mm[1]
    index = np.arange(1, count + 1)
    areas = ndimage.sum_labels(np.ones_like(labels), labels, index) * pixel_area if count else []
    kept_probability, kept_centroids = probability[keep], centroids[keep]
    objects = tuple(
        DetectedObject(
            int(i + 1),
            float(areas[i]),
            (float(kept_centroids[i, 0]), float(kept_centroids[i, 1])),
            float(kept_probability[i]),
            0.0,
        )
        for i in range(count)
    )
    report_progress(progress, 1.0, f"{count} calcifications kept of {len(probability)} candidates")
    return CalcificationSegmentation(
        labels=labels,
        breast=found.breast_input,
        spacing_mm=mammogram.spacing_mm,
        method=choice.method,
        objects=objects,
        details={
            "probability": probability_map,
            "model_name": loaded.card.name,
            "synthetic_training": loaded.card.synthetic_training,
            "threshold": threshold,
            "min_object_area_mm2": 0.0,
            "candidates": len(probability),
            "chest_wall_side": found.chest_wall_side,
        },
    )
