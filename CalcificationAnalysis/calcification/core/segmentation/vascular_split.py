"""Every method's result split into calcifications and vascular calcifications (calcified vessel walls, benign in
BI-RADS): vascular ones leave the label image that clusters, features and the classifier read, and travel in
``vascular_labels`` so they are shown and tabled apart (:mod:`..candidates.vascular` says how they are found)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..candidates.vascular import vascular_flags
from ..image import Mammogram
from .result import CalcificationSegmentation, label_centroids, renumber_labels


def split_vascular(result: CalcificationSegmentation, mammogram: Mammogram) -> CalcificationSegmentation:
    """``result`` with its vascular objects moved to ``vascular_labels`` (int32, 0 background, 1..m) and the
    remaining objects (and their per-object records) renumbered 1..k in their original order."""
    labels = np.asarray(result.labels)
    count = int(labels.max()) if labels.size else 0
    if count == 0:
        return dataclasses.replace(result, vascular_labels=np.zeros(labels.shape, np.int32))
    centroids = label_centroids(labels, count)
    present = np.isfinite(centroids[:, 0])
    flags = np.zeros(count, bool)
    spacing = float(np.sqrt(mammogram.spacing_mm[0] * mammogram.spacing_mm[1]))
    flags[present] = vascular_flags(centroids[present], mammogram.pixels, spacing)
    if not flags.any():
        return dataclasses.replace(result, vascular_labels=np.zeros(labels.shape, np.int32))
    kept = renumber_labels(labels, ~flags)
    objects = result.objects
    if len(objects) == count:  # per-object records in label order: keep the non-vascular ones, renumbered
        objects = tuple(
            dataclasses.replace(o, label=n + 1) if hasattr(o, "label") else o
            for n, o in enumerate(o for o, vascular in zip(objects, flags, strict=True) if not vascular)
        )
    return dataclasses.replace(result, labels=kept, objects=objects, vascular_labels=renumber_labels(labels, flags))
