"""Headless pipeline from a mammogram file to result files, as the ``calcification segment`` command runs it.

Outputs for ``IMAGE`` in ``OUT``: ``<name>.seg.nrrd`` (the segmentation, opens over the image in Slicer),
``<name>.mrb`` (the whole scene: image + segmentation) and ``<name>.overlay.png`` (a quick look); network methods
add ``<name>.probability.nrrd`` (the probability map on the image grid). Either all of them are written or, on any
error or cancel, none is left behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.atomic_files import all_or_nothing, remove_stale_temporaries
from ...core.errors import InputError
from ...core.io import read_mammogram
from ...core.progress import ProgressCallback, report_progress, sub_progress
from ...core.rendering.overlay import render_overlay, save_png
from ...core.segmentation import CalcificationSegmentation, SegmenterChoice
from ..mrml.scene_factory import create_headless_scene
from ..mrml.scene_storage import save_scene_bundle, save_segmentation, save_volume_from_bundle
from ..mrml.volume_nodes import volume_node_from_mammogram
from .output_names import output_name
from .segmentation_workflow import segment_volume_node


@dataclass(frozen=True)
class SegmentedFile:
    """Files written for one mammogram, and the segmentation they hold."""

    segmentation_path: Path
    scene_path: Path
    overlay_path: Path
    segmentation: CalcificationSegmentation
    probability_path: Optional[Path] = None

    @property
    def paths(self) -> tuple[Path, ...]:
        extra = (self.probability_path,) if self.probability_path is not None else ()
        return (self.segmentation_path, self.scene_path, self.overlay_path, *extra)


def check_output_folder(out_dir: os.PathLike | str) -> Path:
    """``out_dir`` as a Path; InputError when it exists and is not a folder (nothing is created)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"The output {out_dir} exists and is not a folder.")
    return out_dir


def prepare_output_folder(out_dir: os.PathLike | str) -> Path:
    """Create ``out_dir`` if needed and remove what killed runs left there (see
    :func:`~calcification.core.atomic_files.remove_stale_temporaries`); InputError when it is a file or cannot be
    created."""
    out_dir = check_output_folder(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create the output folder {out_dir}: {exc.strerror}.") from exc
    remove_stale_temporaries(out_dir)
    return out_dir


@contextmanager
def new_folder_removed_on_failure(out_dir: Path) -> Iterator[None]:
    """Remove ``out_dir`` (and the parents created with it) if the block fails and they are empty: a refused run
    leaves no new folder behind."""
    missing = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]
    try:
        yield
    except BaseException:
        for folder in missing:
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (another run wrote there) or already gone
        raise


@dataclass(frozen=True)
class SegmentedScene:
    """A mammogram read from a file and segmented in its own headless scene (nothing written yet)."""

    mammogram: object
    scene: object
    volume_node: object
    run: object
    name: str = ""  # of the output files (see :func:`~.output_names.output_name`); the volume node's name too


def segment_into_scene(
    image_path: os.PathLike | str,
    segmenter: SegmenterChoice | str | None = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
    name_from_tags: bool = True,
) -> SegmentedScene:
    """Read ``image_path`` into a new headless scene and segment it (see :func:`segment_volume_node`). The outputs
    are named after patient, side and view (:func:`~.output_names.output_name`), or after the file when
    ``name_from_tags`` is False (a PACS run names them by SOP Instance UID, so that no patient identifier reaches
    a file name or a printed line)."""
    mammogram = read_mammogram(image_path, spacing_mm=spacing_mm)
    scene = create_headless_scene()
    name = output_name(mammogram) if name_from_tags else mammogram.name
    volume_node = volume_node_from_mammogram(scene, mammogram, name=name)
    run = segment_volume_node(scene, volume_node, segmenter=segmenter, progress=progress)
    return SegmentedScene(mammogram, scene, volume_node, run, name)


def write_segmentation_files(segmented: SegmentedScene, out_dir: Path, written: list) -> SegmentedFile:
    """Write ``<name>.seg.nrrd``, ``.mrb``, ``.overlay.png`` (and ``.probability.nrrd``) into ``out_dir``.

    Every path is appended to ``written`` as soon as it exists; inside
    :func:`~calcification.core.atomic_files.all_or_nothing` a later failure takes them all back.
    """
    name, run = segmented.name or segmented.mammogram.name, segmented.run
    outputs = SegmentedFile(
        out_dir / f"{name}.seg.nrrd",
        out_dir / f"{name}.mrb",
        out_dir / f"{name}.overlay.png",
        run.segmentation,
        out_dir / f"{name}.probability.nrrd" if run.probability_node is not None else None,
    )
    written.append(save_segmentation(run.segmentation_node, outputs.segmentation_path))
    written.append(save_scene_bundle(segmented.scene, outputs.scene_path))
    overlay = render_overlay(segmented.mammogram.pixels, run.segmentation.labels, run.segmentation.breast)
    written.append(save_png(overlay, outputs.overlay_path))
    if outputs.probability_path is not None:
        written.append(save_volume_from_bundle(outputs.scene_path, run.probability_node, outputs.probability_path))
    return outputs


def segment_file(
    image_path: os.PathLike | str,
    out_dir: os.PathLike | str,
    segmenter: SegmenterChoice | str | None = None,
    spacing_mm: Optional[tuple[float, float]] = None,
    progress: ProgressCallback = None,
) -> SegmentedFile:
    """Read ``image_path``, segment its calcifications with ``segmenter`` (the default method when None) and write
    the result files into ``out_dir``.

    Raises
    ------
    InputError
        Unusable image or output folder (nothing written); CancelledError when ``progress`` returns False.
    """
    out_dir = check_output_folder(out_dir)
    segmented = segment_into_scene(image_path, segmenter, spacing_mm, sub_progress(progress, 0.0, 0.85))
    with new_folder_removed_on_failure(out_dir), all_or_nothing():
        out_dir = prepare_output_folder(out_dir)
        report_progress(progress, 0.85, "Saving the segmentation, scene and overlay")
        outputs = write_segmentation_files(segmented, out_dir, [])
    report_progress(progress, 1.0, "Done")
    return outputs
