"""``features.csv``, ``summary.csv`` and ``breasts.csv`` of an archive run, assembled at its end from the per-image
records of the manifest (every image done in this run or verified from an earlier one), and merged into the folder's
tables under the folder lock as ``analyze`` merges them (:mod:`calcification.logic.workflows.shared_tables`)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ....core.classification import breast_patient_id, combine_views
from ..folder_outputs import BreastRow, merge_folder_tables
from .manifest import ImageRecord

_LOG = logging.getLogger(__name__)


def _probability(record: ImageRecord):
    text = str(record.summary.get("probability", ""))
    return float(text) if text else None


def breast_rows(records: Sequence[ImageRecord]) -> list[BreastRow]:
    """Breast-level results (Lin et al. 2023) of the breasts with a CC and/or MLO view among ``records``.

    A breast with two images of one view (an archive holds several screening rounds) is left out with a warning:
    which round should count is the user's choice, not the product's.
    """
    views: dict[tuple[str, str], dict[str, list[ImageRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        row = record.features
        patient = breast_patient_id(str(row.get("patient_id", "")))
        if patient and row.get("laterality") in ("L", "R") and row.get("view") in ("CC", "MLO"):
            views[(patient, row["laterality"])][row["view"]].append(record)
    results = []
    for (patient, side), breast in sorted(views.items()):
        if any(len(images) > 1 for images in breast.values()):
            # Named by the images' output names, never the Patient ID: log lines stay free of patient identifiers.
            names = ", ".join(r.name for images in breast.values() for r in images)
            _LOG.warning("Images %s show one breast with more than one image of a view; no breast-level result.", names)
            continue
        cc, mlo = (breast[view][0] if breast.get(view) else None for view in ("CC", "MLO"))
        cc_p, mlo_p = (None if r is None else _probability(r) for r in (cc, mlo))
        if cc_p is None and mlo_p is None:
            continue
        results.append(
            BreastRow(patient, side, cc.name if cc else "", mlo.name if mlo else "", combine_views(cc_p, mlo_p))
        )
    return results


def write_archive_tables(out_dir: Path, records: Sequence[ImageRecord]) -> list[Path]:
    """Merge the rows of ``records`` (done images) into the folder's three tables; returns the files written."""
    written: list[Path] = []
    cases = {r.name for r in records}
    ordered = sorted(records, key=lambda r: r.name)
    summary = [r.summary for r in ordered]
    merge_folder_tables(out_dir, cases, [r.features for r in ordered], summary, breast_rows(ordered), written)
    return written
