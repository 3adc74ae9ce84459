"""Write synthetic training cases to disk in the form the rest of the product reads, through real MRML nodes.

Per case ``<case>.nrrd`` (image, 12-bit whole numbers as uint16, spacing in the header), ``<case>.seg.nrrd`` (a
Slicer segmentation with the "Calcification" segment), ``<case>.instances.nrrd`` (instance label map) and
``<case>.json`` (the ground-truth record); optionally ``<case>.mrb``, the same scene a radiologist saves after
annotating in Slicer. Per series ``cases.csv``. Used by ``calcification synth`` and the CalcificationTraining panel.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.errors import InputError
from ...core.image import Mammogram
from ...core.progress import ProgressCallback, report_progress
from ...core.reporting.csv_cells import SafeDictWriter
from ...core.synthetic import SynthesisConfig, SyntheticCase, blend_calcifications, generate_case
from ..mrml.scene_factory import create_headless_scene
from ..mrml.scene_storage import atomic_destination, save_scene_bundle, save_segmentation, save_volume
from ..mrml.segmentation_nodes import CALCIFICATION_SEGMENT_ID, create_calcification_segmentation, set_segment_mask
from ..mrml.volume_nodes import update_volume_node_from_array, volume_node_from_mammogram
from .file_workflow import prepare_output_folder

CSV_COLUMNS = (
    "case_id",
    "patient_id",
    "label",
    "density",
    "view",
    "laterality",
    "n_calcifications",
    "n_clusters",
    "seed",
    "index",
    "spacing_mm",
    "image",
    "segmentation",
    "instances",
)


@dataclass(frozen=True)
class SyntheticDataset:
    """A written series: its folder and one ``cases.csv`` row per case."""

    folder: Path
    cases: tuple[dict, ...]


def write_case(case: SyntheticCase, out: Path, write_scene: bool = False) -> dict:
    """Write one case's files into ``out`` (each atomically); returns its ``cases.csv`` row."""
    name = case.record.case_id
    scene = create_headless_scene()
    # Stored as uint16: synthetic pixels are 12-bit whole numbers (lossless); blended real images are rounded.
    source = case.mammogram
    stored = np.clip(np.rint(source.pixels), 0, np.iinfo(np.uint16).max).astype(np.uint16)
    image = Mammogram(stored, source.spacing_mm, source.laterality, source.view, bit_depth=source.bit_depth)
    volume = volume_node_from_mammogram(scene, image, name=name)
    segmentation = create_calcification_segmentation(scene, volume, name=f"{name} calcifications")
    set_segment_mask(segmentation, CALCIFICATION_SEGMENT_ID, case.mask, volume)
    instances = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", f"{name} instances")
    instances.CopyOrientation(volume)
    update_volume_node_from_array(instances, case.instances.astype(np.uint16)[None])
    save_volume(volume, out / f"{name}.nrrd")
    save_segmentation(segmentation, out / f"{name}.seg.nrrd")
    save_volume(instances, out / f"{name}.instances.nrrd")
    with atomic_destination(out / f"{name}.json") as temporary:
        temporary.write_text(case.record.to_json(), encoding="utf-8")
    if write_scene:
        scene.RemoveNode(instances)  # the annotated scene holds what a radiologist saves: image + segmentation
        save_scene_bundle(scene, out / f"{name}.mrb")
    row = {key: value for key, value in case.record.to_dict().items() if key in CSV_COLUMNS}
    row.update(image=f"{name}.nrrd", segmentation=f"{name}.seg.nrrd", instances=f"{name}.instances.nrrd")
    return row


def write_synthetic_dataset(
    out_dir: os.PathLike | str,
    n_cases: int,
    seed: int = 0,
    config: Optional[SynthesisConfig] = None,
    write_scenes: bool = False,
    background: Optional[Mammogram] = None,
    progress: ProgressCallback = None,
) -> SyntheticDataset:
    """Generate ``n_cases`` cases from ``seed`` (cases 0..n-1) and write them with ``cases.csv`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Created if missing.
    n_cases : int
        At least 1.
    seed : int
        Series seed; the same seed and config write identical files.
    config : SynthesisConfig, optional
        Image size, spacing, density, view...; full-field 3300 x 2500 at 0.07 mm by default.
    write_scenes : bool
        Also write ``<case>.mrb`` per case.
    background : Mammogram, optional
        Blend calcifications into this real image instead of a synthetic background.
    progress : callable, optional
        Called per case; False stops after the current case (the cases already written stay, with their CSV).

    Raises
    ------
    InputError
        Bad parameters (before anything is written).
    """
    if isinstance(n_cases, bool) or not isinstance(n_cases, (int, np.integer)) or n_cases < 1:
        raise InputError(f"The number of cases must be at least 1, got {n_cases!r}.")
    config = config or SynthesisConfig()
    out = prepare_output_folder(out_dir)
    rows = []
    try:
        for index in range(int(n_cases)):
            report_progress(progress, index / n_cases, f"Case {index + 1} of {n_cases}")
            if background is None:
                case = generate_case(config, seed=seed, index=index)
            else:
                case = blend_calcifications(background, seed=seed, index=index, config=config)
            rows.append(write_case(case, out, write_scenes))
        report_progress(progress, 1.0, f"Wrote {n_cases} cases")
    finally:
        _write_cases_csv(out / "cases.csv", rows)
    return SyntheticDataset(folder=out, cases=tuple(rows))


def _write_cases_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_destination(path) as temporary:
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
