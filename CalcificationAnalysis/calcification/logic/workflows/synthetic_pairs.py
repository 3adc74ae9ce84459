"""Write synthetic prior/current pairs with known truth (``calcification synth --pairs``).

Per pair ``<pair>_prior.nrrd`` and ``<pair>_current.nrrd`` (uint16 images, each with its own pixel spacing in the
header), ``<pair>_prior.instances.nrrd`` and ``<pair>_current.instances.nrrd`` (calcification instance maps: one id
per drawn calcification, the same id on both exams) and ``<pair>.pair.json`` (the truth: each cluster's status,
members and centres on both images, every calcification's true position on both). Per series ``pairs.csv``.
NRRD carries no patient, side or view tags, so ``calcification compare`` needs ``--force-pair`` for these files.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.errors import InputError
from ...core.image import Mammogram
from ...core.progress import ProgressCallback, report_progress
from ...core.reporting.csv_cells import SafeDictWriter
from ...core.synthetic import SynthesisConfig
from ...core.synthetic.pairs import SyntheticPair, generate_pair
from ..mrml.scene_factory import create_headless_scene
from ..mrml.scene_storage import atomic_destination, save_volume
from ..mrml.volume_nodes import update_volume_node_from_array, volume_node_from_mammogram
from .file_workflow import prepare_output_folder

PAIR_COLUMNS = ("pair_id", "prior", "current", "statuses", "prior_spacing_mm", "current_spacing_mm")


def _save_exam(scene, mammogram: Mammogram, instances: np.ndarray, path_stem: Path) -> None:
    stored = np.clip(np.rint(mammogram.pixels), 0, np.iinfo(np.uint16).max).astype(np.uint16)
    image = Mammogram(stored, mammogram.spacing_mm, mammogram.laterality, mammogram.view, bit_depth=12)
    volume = volume_node_from_mammogram(scene, image, name=path_stem.name)
    labels = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", f"{path_stem.name} instances")
    labels.CopyOrientation(volume)
    update_volume_node_from_array(labels, instances.astype(np.uint16)[None])
    save_volume(volume, path_stem.with_name(f"{path_stem.name}.nrrd"))
    save_volume(labels, path_stem.with_name(f"{path_stem.name}.instances.nrrd"))


def write_pair(pair: SyntheticPair, pair_id: str, out: Path) -> dict:
    """Write one pair's files into ``out`` (each atomically); returns its ``pairs.csv`` row."""
    scene = create_headless_scene()
    _save_exam(scene, pair.prior, pair.prior_instances, out / f"{pair_id}_prior")
    _save_exam(scene, pair.current, pair.current_instances, out / f"{pair_id}_current")
    with atomic_destination(out / f"{pair_id}.pair.json") as temporary:
        temporary.write_text(json.dumps(pair.to_dict(), indent=1), encoding="utf-8")
    return {
        "pair_id": pair_id,
        "prior": f"{pair_id}_prior.nrrd",
        "current": f"{pair_id}_current.nrrd",
        "statuses": " ".join(c.status.value for c in pair.clusters),
        "prior_spacing_mm": pair.prior.spacing_mm[0],
        "current_spacing_mm": pair.current.spacing_mm[0],
    }


def write_synthetic_pairs(
    out_dir: os.PathLike | str,
    n_pairs: int,
    seed: int = 0,
    config: Optional[SynthesisConfig] = None,
    no_change: bool = False,
    background: Optional[Mammogram] = None,
    progress: ProgressCallback = None,
) -> list[dict]:
    """Generate pairs 0..n-1 of the series ``seed`` and write them with ``pairs.csv`` into ``out_dir``.

    ``no_change`` makes every cluster stable; ``background`` warps a real view (e.g. DDSM) instead of drawing a
    synthetic breast. Returns the ``pairs.csv`` rows. InputError for bad parameters, before anything is written.
    """
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, (int, np.integer)) or n_pairs < 1:
        raise InputError(f"The number of pairs must be at least 1, got {n_pairs!r}.")
    out = prepare_output_folder(out_dir)
    rows = []
    try:
        for index in range(int(n_pairs)):
            report_progress(progress, index / n_pairs, f"Pair {index + 1} of {n_pairs}")
            pair = generate_pair(config, seed, index, no_change, background)
            prefix = background.name if background is not None else f"pair{seed}"
            rows.append(write_pair(pair, f"{prefix}-{index:05d}", out))
        report_progress(progress, 1.0, f"Wrote {n_pairs} pairs")
    finally:
        if rows:
            buffer = io.StringIO()
            writer = SafeDictWriter(buffer, fieldnames=PAIR_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            with atomic_destination(out / "pairs.csv") as temporary:
                temporary.write_text(buffer.getvalue(), encoding="utf-8")
    return rows
